import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { checkParity, formatParity } from '../../src/doctor';

describe('backend parity', function () {
  this.timeout(120000);
  it('trains the BN MLP and BN CNN on wasm with the cpu losses, and reports a backend that cannot start', async () => {
    const rows = await checkParity(['wasm', 'tensorflow']);
    expect(rows.map((r) => `${r.backend} ${r.model}`)).to.deep.equal([
      'wasm BN MLP',
      'tensorflow BN MLP',
      'wasm BN CNN',
      'tensorflow BN CNN',
    ]);
    for (const row of rows.filter((r) => r.backend === 'wasm')) expect(row.maxLossDifference).to.be.at.most(1e-4);
    expect(rows[1].maxLossDifference).to.equal(null);
    expect(formatParity(rows)).to.match(/^wasm +BN MLP: largest loss difference from cpu \d\.\d\de-?\d+$/m);
    expect(formatParity(rows)).to.match(/^tensorflow +BN CNN: not run \(the tensorflow backend is not installed/m);
    expect(tf.getBackend()).to.equal('wasm');
  });
});
