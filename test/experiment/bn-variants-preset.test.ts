import { expect } from 'chai';
import { BATCH_RENORM_DEFAULTS, renormLimits } from '../../models';
import { PRESETS, resolveSpec } from '../../src/experiment/spec';

describe('the bn-variants preset: batch renorm relaxes within its budget', () => {
  const spec = resolveSpec(PRESETS['bn-variants']);
  /** Updates of a 3-epoch run on the embedded subset's 6000 training samples. */
  const runUpdates = spec.strategies.map((s) => 3 * s.updatesPerEpoch(6000));

  it('makes 4500, 1125, 282 and 72 updates at batch 4, 16, 64 and 256', () => {
    expect(spec.budget).to.deep.equal({ kind: 'epochs', epochs: 3 });
    expect(runUpdates).to.deep.equal([4500, 1125, 282, 72]);
  });

  it('relaxes fully at batch 4 and 16, partly at 64 (rMax 1 + 2 x 181/700, dMax 5 x 181/400), not at 256', () => {
    const last = runUpdates.map((n) => renormLimits(n - 1, spec.batchRenorm));
    expect(last.slice(0, 2)).to.deep.equal([
      { rMax: 3, dMax: 5 },
      { rMax: 3, dMax: 5 },
    ]);
    expect(last[2].rMax).to.be.closeTo(1 + (2 * 181) / 700, 1e-12);
    expect(last[2].dMax).to.be.closeTo((5 * 181) / 400, 1e-12);
    expect(last[3]).to.deep.equal({ rMax: 1, dMax: 0 });
  });

  it("the paper's schedule, relaxed from update 5000, would leave every cell plain BN", () => {
    expect(runUpdates.map((n) => renormLimits(n - 1, BATCH_RENORM_DEFAULTS))).to.deep.equal(
      Array(4).fill({ rMax: 1, dMax: 0 }),
    );
  });
});
