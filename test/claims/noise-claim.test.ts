import { expect } from 'chai';
import { NoisePoint, checkNoiseClaim, noiseConstant, noiseEvidence } from '../../src/claims/noise-claim';
import type { GradientNoise } from '../../src/experiment/gradient-noise';
import { run } from '../report/fixtures';

const N = 6000;
/** The closed form's noise for tr(Σ)/||g||² = 3: 3 (N - B) / ((N - 1) B). */
const exact = (label: string, batchSize: number, standardError: number): NoisePoint => ({
  label,
  batchSize,
  noise: (3 * (N - batchSize)) / ((N - 1) * batchSize),
  standardError,
});

describe("claim: SGD's gradients are noisy", () => {
  it('holds when batch 1 lies far above and B·noise·(N-1)/(N-B) is the same 3 at every batch size', () => {
    const points = [exact('mini:256', 256, 0.001), exact('sgd', 1, 0.3), exact('mini:32', 32, 0.005)];
    points.forEach((p) => expect(noiseConstant(p, N)).to.be.closeTo(3, 1e-12));
    const check = checkNoiseClaim({ trainSize: N, points }, 'noise-vs-batch');
    expect(check.verdict).to.deep.equal({ kind: 'holds', text: 'holds here' });
    expect(check.evidence).to.equal(
      'relative noise at the initial weights: sgd 3.00 ± 0.300, mini:32 0.0933 ± 0.00500, mini:256 0.0112 ± 0.00100, ' +
        'full batch 0; B·noise·(N-1)/(N-B): 3.00, 3.00, 3.00',
    );
  });

  it('does not hold when batch 1 is within 2 standard errors of the difference of mini:32', () => {
    // 0.2 - 0.0933 = 0.107 <= 2 * hypot(0.1, 0.005) = 0.200
    const points = [{ label: 'sgd', batchSize: 1, noise: 0.2, standardError: 0.1 }, exact('mini:32', 32, 0.005)];
    expect(checkNoiseClaim({ trainSize: N, points }, null).verdict).to.deep.equal({
      kind: 'does not hold',
      text: "does not hold here: sgd's noise is not 2 standard errors above mini:32's",
    });
  });

  it('holds in part when smaller batches are noisier but the noise does not fall as 1/B', () => {
    const points = [
      exact('sgd', 1, 0.01),
      { label: 'mini:32', batchSize: 32, noise: 0.5, standardError: 0.01 },
      { label: 'mini:256', batchSize: 256, noise: 0.3, standardError: 0.01 },
    ];
    // Constants 3, 0.5·32·5999/5968 = 16.08 and 0.3·256·5999/5744 = 80.21: 26.7-fold.
    expect(checkNoiseClaim({ trainSize: N, points }, null).verdict).to.deep.equal({
      kind: 'holds in part',
      text: 'holds here in part: smaller batches are noisier, but the noise does not fall as 1/B (B·noise varies 26.7-fold)',
    });
  });

  it('cannot be checked with fewer than two batch sizes below N (full batch does not count)', () => {
    const points = [exact('sgd', 1, 0.3), { label: 'full', batchSize: N, noise: 0, standardError: 0 }];
    expect(checkNoiseClaim({ trainSize: N, points }, null).verdict.text).to.equal(
      'cannot be checked here: 1 batch size below N measured, 2 needed',
    );
    expect(checkNoiseClaim({ trainSize: N, points: [] }, null).evidence).to.equal(
      'no gradient noise measured at the initial weights',
    );
  });

  it("takes the first seed's BN-off noise at epoch 0, leaving out full batch's (no batch drawn)", () => {
    const noise = (batchSize: number, relativeVariance: number, batches = 32): GradientNoise => ({
      batchSize,
      batches,
      meanSquaredDeviation: relativeVariance * 4,
      standardError: 0.4,
      relativeVariance,
      relativeStandardError: 0.1,
      fullGradientSquaredNorm: 4,
    });
    const probed = (strategy: string, at0: GradientNoise, extra: { bn?: boolean; seed?: number } = {}) => ({
      ...run({ strategy, ...extra }),
      checkpoints: [
        { epoch: 0, updates: 0, gradientNoise: at0, activations: [], gradientNorms: [] },
        { epoch: 1, updates: 10, gradientNoise: noise(at0.batchSize, 99), activations: [], gradientNorms: [] },
      ],
    });
    const results = [
      probed('mini:32', noise(32, 0.1)),
      probed('sgd', noise(1, 3)),
      probed('sgd', noise(1, 7), { bn: true }),
      probed('sgd', noise(1, 5), { seed: 1 }),
      probed('full', noise(320, 0, 0)),
    ];
    expect(noiseEvidence(results)).to.deep.equal({
      trainSize: 320,
      points: [
        { label: 'sgd', batchSize: 1, noise: 3, standardError: 0.1 },
        { label: 'mini:32', batchSize: 32, noise: 0.1, standardError: 0.1 },
      ],
    });
  });
});
