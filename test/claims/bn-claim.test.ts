import { expect } from 'chai';
import {
  LayerProfile,
  activationSpread,
  bnEvidence,
  checkBnClaim,
  firstToLastGradient,
} from '../../src/claims/bn-claim';
import type { Checkpoint } from '../../src/experiment/probes';
import { run } from '../report/fixtures';

/** Without BN: output std halving layer by layer, the first layer's gradient 1/100 and 1/50 of the output's. */
const off: LayerProfile = {
  checkpoints: [
    { epoch: 0, activationStd: [1, 0.5, 0.25, 0.125], gradientNorms: [0.01, 0.1, 1] },
    { epoch: 1, activationStd: [1, 0.5, 0.25, 0.1], gradientNorms: [0.02, 0.1, 1] },
  ],
};
/** With BN: std about 0.6 everywhere, the first layer's gradient 1/2 and 1/4 of the output's. */
const on: LayerProfile = {
  checkpoints: [
    { epoch: 0, activationStd: [0.6, 0.58, 0.59, 0.57], gradientNorms: [0.5, 0.4, 1] },
    { epoch: 1, activationStd: [0.7, 0.6, 0.6, 0.6], gradientNorms: [0.5, 0.4, 2] },
  ],
};

describe('claim: BatchNorm keeps activations steadier and gradients from vanishing', () => {
  it('measures the std spread (max/min) and the geometric mean of first over output gradient norm', () => {
    expect(activationSpread(off)).to.be.closeTo(10, 1e-12);
    expect(activationSpread(on)).to.be.closeTo(0.7 / 0.57, 1e-12);
    expect(firstToLastGradient(off)).to.be.closeTo(Math.sqrt(0.01 * 0.02), 1e-12);
    expect(firstToLastGradient(on)).to.be.closeTo(Math.sqrt(0.5 * 0.25), 1e-12);
  });

  it('holds when both are better with BN, and says so with the figures', () => {
    const check = checkBnClaim({ strategy: 'mini:32', off, on }, 'activation-std');
    expect(check.verdict).to.deep.equal({ kind: 'holds', text: 'holds here' });
    expect(check.evidence).to.equal(
      'mini:32, 4 hidden layers, 2 checkpoints: output std max/min 10.0 without BN, 1.23 with; ' +
        'first/output gradient norm 0.0141 without BN, 0.354 with',
    );
  });

  it('holds in part when only one of the two is better with BN', () => {
    const vanishing: LayerProfile = {
      checkpoints: on.checkpoints.map((c) => ({ ...c, gradientNorms: [0.001, 0.4, 1] })),
    };
    expect(checkBnClaim({ strategy: 'mini:32', off, on: vanishing }, null).verdict).to.deep.equal({
      kind: 'holds in part',
      text: 'holds here in part: activations steadier, but the first layer gets no larger share of gradient',
    });
    const unsteady: LayerProfile = {
      checkpoints: on.checkpoints.map((c) => ({ ...c, activationStd: [2, 0.1, 1, 1] })),
    };
    expect(checkBnClaim({ strategy: 'mini:32', off, on: unsteady }, null).verdict.text).to.equal(
      'holds here in part: the first layer gets more gradient, but activations are not steadier',
    );
  });

  it('does not hold when BN makes neither better', () => {
    expect(checkBnClaim({ strategy: 'mini:32', off: on, on: off }, null).verdict).to.deep.equal({
      kind: 'does not hold',
      text: 'does not hold here: neither steadier activations nor larger first-layer gradients with BN',
    });
  });

  it('cannot be checked without a BN off/on pair, or with one hidden layer', () => {
    expect(checkBnClaim(null, null).verdict.text).to.equal('cannot be checked here: no BN off/on pair');
    const shallow: LayerProfile = { checkpoints: [{ epoch: 0, activationStd: [1], gradientNorms: [0.1, 1] }] };
    const unprobed = checkBnClaim({ strategy: 'mini:32', off, on: { checkpoints: [] } }, null);
    expect(unprobed.evidence).to.equal('mini:32: 0 hidden layers, 0 checkpoints');
    expect(unprobed.verdict.kind).to.equal('cannot be checked');
    expect(checkBnClaim({ strategy: 'sgd', off: shallow, on: shallow }, null).verdict).to.deep.equal({
      kind: 'cannot be checked',
      text: 'cannot be checked here: the model needs two or more hidden layers and checkpoints',
    });
  });

  it('pairs the runs of the first mini-batch strategy with plain BN off and on, on a seed they share', () => {
    const checkpoint = (std: number): Checkpoint => ({
      epoch: 0,
      updates: 0,
      gradientNoise: {
        batchSize: 1,
        batches: 0,
        meanSquaredDeviation: 0,
        standardError: 0,
        relativeVariance: 0,
        relativeStandardError: 0,
        fullGradientSquaredNorm: 1,
      },
      activations: [{ layer: 'hidden 1', mean: 0, std }],
      gradientNorms: [{ layer: 'output', norm: 1 }],
    });
    const probed = (strategy: string, std: number, extra: Parameters<typeof run>[0] = {}) => ({
      ...run({ strategy, ...extra }),
      checkpoints: [checkpoint(std)],
    });
    const results = [
      probed('full', 1),
      probed('full', 2, { bn: true }),
      probed('mini:32', 3, { seed: 0 }),
      probed('mini:32', 4, { bn: true, seed: 1 }),
      probed('mini:256', 5, { seed: 2 }),
      probed('mini:256', 6, { bn: true, bnVariant: 'ghost:16', seed: 2 }),
      probed('mini:256', 7, { bn: true, seed: 2 }),
    ];
    const evidence = bnEvidence(results);
    expect(evidence?.strategy).to.equal('mini:256');
    expect(evidence?.off.checkpoints[0].activationStd).to.deep.equal([5]);
    expect(evidence?.on.checkpoints[0].activationStd).to.deep.equal([7]);
    expect(bnEvidence(results.slice(2, 4))).to.equal(null);
  });
});
