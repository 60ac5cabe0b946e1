import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { logistic } from '../../models';
import { Dataset, disposeDataset, toDataset } from '../../src/data/dataset';
import { flatGradient, measureGradientNoise } from '../../src/experiment/gradient-noise';
import { createRng, gaussian } from '../../src/util/random';

const N = 40;
const FEATURES = 3;
const CLASSES = 3;

/** Random features and labels: per-sample gradients that differ from sample to sample. */
function data(task: 'classification' | 'regression'): Dataset {
  const rng = createRng(7);
  const features = Float32Array.from({ length: N * FEATURES }, () => gaussian(rng));
  const targets =
    task === 'classification'
      ? Int32Array.from({ length: N }, () => Math.floor(rng() * CLASSES))
      : Float32Array.from({ length: N }, () => gaussian(rng));
  return toDataset(
    { features, inputShape: [FEATURES], targets },
    { name: 'noise', task, numClasses: task === 'classification' ? CLASSES : undefined },
  );
}

/**
 * Each sample's gradient of its own loss, worked out by hand for one dense layer at its weights:
 * softmax cross-entropy gives dW = x (p - y)ᵀ, db = p - y; squared error gives dW = 2 (ŷ - y) x, db = 2 (ŷ - y).
 */
function perSampleGradients(model: tf.LayersModel, d: Dataset): number[][] {
  const [kernel, bias] = model.getWeights().map((w) => Array.from(w.dataSync()));
  const outputs = bias.length;
  const x = d.x.arraySync() as number[][];
  const y = d.y.arraySync();
  return x.map((xi, i) => {
    const z = bias.map((b, c) => b + xi.reduce((s, v, f) => s + v * kernel[f * outputs + c], 0));
    let delta: number[];
    if (d.task === 'classification') {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const total = e.reduce((a, b) => a + b, 0);
      delta = e.map((v, c) => v / total - y[i][c]);
    } else delta = [2 * (z[0] - y[i][0])];
    return [...xi.flatMap((v) => delta.map((dc) => v * dc)), ...delta];
  });
}

/** (N - B)/(N - 1) · tr(Σ)/B, Σ the covariance of the per-sample gradients about their mean (over N). */
function closedForm(gradients: number[][], batch: number): { absolute: number; norm: number } {
  const n = gradients.length;
  const mean = gradients[0].map((_, j) => gradients.reduce((s, g) => s + g[j], 0) / n);
  const trace = gradients.reduce((s, g) => s + g.reduce((t, v, j) => t + (v - mean[j]) ** 2, 0), 0) / n;
  return { absolute: (((n - batch) / (n - 1)) * trace) / batch, norm: mean.reduce((s, v) => s + v * v, 0) };
}

for (const task of ['classification', 'regression'] as const) {
  describe(`gradient noise against its closed form (${task}, one dense layer)`, function () {
    this.timeout(120000);
    let d: Dataset;
    let model: tf.LayersModel;
    let gradients: number[][];
    before(() => {
      d = data(task);
      model = logistic().build({ inputShape: [FEATURES], outputs: d.numClasses }, 3);
      gradients = perSampleGradients(model, d);
    });
    after(() => {
      model.dispose();
      disposeDataset(d);
    });

    for (const batch of [1, 5, N / 2, N - 1]) {
      it(`B = ${batch}: the estimate lies within 4 standard errors of (N - B)/(N - 1) · tr(Σ)/B`, async () => {
        const before = tf.memory().numTensors;
        const noise = await measureGradientNoise(model, d, { batchSize: batch, batches: 400, seed: batch, chunk: 16 });
        const expected = closedForm(gradients, batch);
        expect(tf.memory().numTensors).to.equal(before);
        expect(noise.batches).to.equal(400);
        expect(noise.standardError).to.be.greaterThan(0);
        expect(noise.standardError).to.be.lessThan(0.1 * expected.absolute);
        expect(Math.abs(noise.meanSquaredDeviation - expected.absolute)).to.be.lessThan(4 * noise.standardError);
        expect(noise.fullGradientSquaredNorm).to.be.closeTo(expected.norm, 1e-5 * expected.norm + 1e-9);
        expect(noise.relativeVariance).to.be.closeTo(noise.meanSquaredDeviation / noise.fullGradientSquaredNorm, 1e-9);
      });
    }

    it('B = N: the batch is the training set, so the noise is 0 by definition and no batch is drawn', async () => {
      const noise = await measureGradientNoise(model, d, { batchSize: N, seed: 0 });
      expect(noise).to.include({
        batchSize: N,
        batches: 0,
        meanSquaredDeviation: 0,
        standardError: 0,
        relativeVariance: 0,
      });
      expect(closedForm(gradients, N).absolute).to.equal(0);
    });
  });
}

describe('flatGradient', () => {
  it('gives the same whole-set gradient in chunks of 7 as in one piece (no BatchNorm)', () => {
    const d = data('classification');
    const model = logistic().build({ inputShape: [FEATURES], outputs: CLASSES }, 1);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const [chunked, whole] = [7, N].map((chunk) => flatGradient(model, d, null, chunk, variables));
    const a = chunked.dataSync();
    const b = whole.dataSync();
    expect(a.length).to.equal((FEATURES + 1) * CLASSES);
    a.forEach((v, i) => expect(v).to.be.closeTo(b[i], 1e-6));
    tf.dispose([chunked, whole]);
    model.dispose();
    disposeDataset(d);
  });

  it('refuses a batch larger than the data set, naming the bound and the value', async () => {
    const d = data('classification');
    const model = logistic().build({ inputShape: [FEATURES], outputs: CLASSES }, 1);
    let error: Error | null = null;
    await measureGradientNoise(model, d, { batchSize: N + 1, seed: 0 }).catch((e: Error) => (error = e));
    expect(String(error)).to.match(/batchSize must be an integer in \[1, 40\], got 41/);
    model.dispose();
    disposeDataset(d);
  });
});
