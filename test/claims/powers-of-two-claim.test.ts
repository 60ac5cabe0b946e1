import { expect } from 'chai';
import { ThroughputPointLike, checkPowersOfTwoClaim, powerTests } from '../../src/claims/powers-of-two-claim';

const at = (backend: string, batchSize: number, samplesPerSecond: number[]): ThroughputPointLike => ({
  backend,
  batchSize,
  samplesPerSecond,
});
/** On wasm batch 32 beats both neighbours in every repeat; on cpu it does not. */
const wasm = [at('wasm', 31, [100, 102]), at('wasm', 32, [120, 125]), at('wasm', 33, [101, 103])];
const cpu = [at('cpu', 31, [100, 102]), at('cpu', 32, [101, 104]), at('cpu', 33, [99, 100])];

describe('claim: powers of two are faster', () => {
  it('a power stands out only if its slowest repeat beats every repeat of both neighbours', () => {
    expect(
      powerTests([...wasm, ...cpu]).map(({ backend, power, standsOut }) => ({ backend, power, standsOut })),
    ).to.deep.equal([
      { backend: 'wasm', power: 32, standsOut: true },
      { backend: 'cpu', power: 32, standsOut: false },
    ]);
  });

  it('holds when more than half of the powers stand out on every backend, with the median ratio', () => {
    const check = checkPowersOfTwoClaim(wasm, 'throughput');
    expect(check.verdict).to.deep.equal({ kind: 'holds', text: 'holds here' });
    // Median 122.5 at 32 over the faster neighbour's median, 102.
    expect(check.evidence).to.equal("wasm 1 of 1 stand out (32: 1.20x); median at P over the faster neighbour's");
  });

  it('holds in part when it holds on some backends only', () => {
    expect(checkPowersOfTwoClaim([...wasm, ...cpu], null).verdict).to.deep.equal({
      kind: 'holds in part',
      text: 'holds here in part: on wasm, not on cpu',
    });
  });

  it('does not hold when half or fewer stand out (64 within its neighbours)', () => {
    const points = [...wasm, at('wasm', 63, [200, 210]), at('wasm', 64, [205, 215]), at('wasm', 65, [190, 200])];
    const check = checkPowersOfTwoClaim(points, null);
    expect(check.verdict).to.deep.equal({
      kind: 'does not hold',
      text: 'does not hold here: no backend is faster at powers of two than at their neighbours',
    });
    expect(check.evidence).to.match(/^wasm 1 of 2 stand out \(32: 1\.20x, 64: 1\.02x\)/);
  });

  it('cannot be checked without a power of two measured with both neighbours', () => {
    const check = checkPowersOfTwoClaim([at('wasm', 16, [1]), at('wasm', 32, [2]), at('wasm', 33, [2])], null);
    expect(check.verdict.text).to.equal('cannot be checked here: no power of two measured with both neighbours');
    expect(check.evidence).to.equal('batch sizes swept: 16, 32, 33');
    expect(checkPowersOfTwoClaim([], null).evidence).to.equal('no throughput measured');
  });
});
