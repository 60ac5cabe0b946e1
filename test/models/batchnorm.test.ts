/**
 * BatchNorm semantics of the built models, checked against values computed by hand in plain JS from
 * tiny literal inputs (never via tfjs), and the trainer's guard against dense BN on a batch of one.
 *
 * What tfjs-layers 4.22 does (read from src/layers/normalization.ts and confirmed here): training
 * normalises with tf.moments, i.e. the BIASED batch variance (divide by N), as
 * gamma * (h - mean) / sqrt(var + epsilon) + beta; the moving variance is updated with that same
 * biased variance (unlike PyTorch, which uses the unbiased one for the running estimate).
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { cnn, mlp } from '../../models';
import { fullBatch, miniBatch, sgd } from '../../src/batching';
import { accumulationWarning, checkBatchNormBatchSize, hasBatchNorm } from '../../src/training/batchnorm-guard';
import { leakCheck } from '../helpers/leak-check';

const MOMENTUM = 0.5;
const EPSILON = 1e-3;

// ---- plain-JS reference arithmetic --------------------------------------------------------------

type Matrix = number[][];

const column = (m: Matrix, j: number): number[] => m.map((row) => row[j]);
const mean = (v: number[]): number => v.reduce((s, a) => s + a, 0) / v.length;
const biasedVar = (v: number[]): number => mean(v.map((a) => (a - mean(v)) ** 2));
const unbiasedVar = (v: number[]): number => (biasedVar(v) * v.length) / (v.length - 1);
const matmul = (a: Matrix, b: Matrix): Matrix =>
  a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
const relu = (m: Matrix): Matrix => m.map((row) => row.map((v) => Math.max(0, v)));

/** gamma * (h - mean) / sqrt(var + eps) + beta, per column, with the given statistics. */
function normalise(h: Matrix, stats: { mean: number[]; variance: number[] }, gamma: number[], beta: number[]): Matrix {
  return h.map((row) =>
    row.map((v, j) => (gamma[j] * (v - stats.mean[j])) / Math.sqrt(stats.variance[j] + EPSILON) + beta[j]),
  );
}

function expectClose(actual: number[] | Float32Array, expected: number[], tolerance = 1e-4): void {
  expect(actual.length).to.equal(expected.length);
  Array.from(actual).forEach((a, i) => expect(a, `element ${i}`).to.be.closeTo(expected[i], tolerance));
}

function thrownMessage(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the call to throw');
}

const flat = (m: Matrix): number[] => m.flat();

function layersOf(model: tf.LayersModel, className: string): tf.layers.Layer[] {
  return model.layers.filter((layer) => layer.getClassName() === className);
}

function only(model: tf.LayersModel, className: string): tf.layers.Layer {
  const found = layersOf(model, className);
  expect(found, `${className} layers`).to.have.length(1);
  return found[0];
}

/** [gamma, beta, movingMean, movingVariance] of a BN layer, as plain numbers. */
function bnState(layer: tf.layers.Layer): number[][] {
  return layer.getWeights().map((w) => Array.from(w.dataSync()));
}

function setWeights(layer: tf.layers.Layer, values: tf.TensorLike[]): void {
  const tensors = values.map((v) => tf.tensor(v));
  layer.setWeights(tensors);
  tf.dispose(tensors);
}

// ---- the tiny model ---------------------------------------------------------------------------

// Dense(2, no bias) -> BN -> relu -> Dense(2) output, with literal weights.
const KERNEL: Matrix = [
  [1, 2],
  [0, -1],
];
const GAMMA = [2, 0.5];
const BETA = [0.1, -1];
const MOVING_MEAN = [0.5, -0.5];
const MOVING_VAR = [2, 3];
// h = x K = [[1, 0], [3, 2], [5, 10]]: column 0 mean 3, biased var 8/3; column 1 mean 4, var 56/3.
const X: Matrix = [
  [1, 2],
  [3, 4],
  [5, 0],
];

interface Tiny {
  model: tf.LayersModel;
  bn: tf.layers.Layer;
  /** Model giving [BN output, final output] from one forward pass. */
  probe: tf.LayersModel;
}

function tinyModel(track: (model: tf.LayersModel) => tf.LayersModel): Tiny {
  const builder = mlp({ hidden: [2], batchNorm: true, bnPosition: 'before', momentum: MOMENTUM, epsilon: EPSILON });
  const model = track(builder.build({ inputShape: [2], outputs: 2 }, 42));
  const [hidden, output] = layersOf(model, 'Dense');
  const bn = only(model, 'BatchNormalization');
  setWeights(hidden, [KERNEL]);
  setWeights(bn, [GAMMA, BETA, MOVING_MEAN, MOVING_VAR]);
  setWeights(output, [
    [
      [1, 0],
      [0, 1],
    ],
    [0, 0],
  ]); // identity: the model output is relu(BN output)
  const probe = tf.model({ inputs: model.inputs, outputs: [bn.output as tf.SymbolicTensor, model.outputs[0]] });
  return { model, bn, probe };
}

/** Runs `probe` on `x` and returns [BN output, model output] as flat number arrays. */
function run(probe: tf.LayersModel, x: Matrix, training: boolean): number[][] {
  return tf.tidy(() => {
    const outs = probe.apply(tf.tensor2d(x), { training }) as tf.Tensor[];
    return outs.map((t) => Array.from(t.dataSync()));
  });
}

describe('BatchNorm in built models (hand-computed reference values)', () => {
  const { track, finish } = leakCheck();

  it('training mode normalises with the batch mean and the biased (divide by N) batch variance', () => {
    const { probe } = tinyModel(track);
    const h = matmul(X, KERNEL);
    const batch = { mean: [0, 1].map((j) => mean(column(h, j))), variance: [0, 1].map((j) => biasedVar(column(h, j))) };
    expect(batch.mean).to.deep.equal([3, 4]);
    expectClose(batch.variance, [8 / 3, 56 / 3], 1e-12);

    const [bnOut, out] = run(probe, X, true);
    const expected = normalise(h, batch, GAMMA, BETA);
    expectClose(bnOut, flat(expected));
    expectClose(out, flat(relu(expected))); // BN before the activation, relu applied after it
    expect(Math.min(...bnOut)).to.be.below(0); // so the relu check above is not vacuous

    // Normalising with the unbiased variance would give visibly different numbers.
    const unbiased = normalise(
      h,
      { mean: batch.mean, variance: [0, 1].map((j) => unbiasedVar(column(h, j))) },
      GAMMA,
      BETA,
    );
    expect(Math.abs(bnOut[0] - unbiased[0][0])).to.be.above(0.1);
    finish();
  });

  it('one training call moves the statistics to momentum * old + (1 - momentum) * batch, with the biased variance', () => {
    const { bn, probe } = tinyModel(track);
    run(probe, X, true);
    const [gamma, beta, movingMean, movingVar] = bnState(bn);
    expectClose(gamma, GAMMA, 1e-7); // the forward pass alone does not touch trainable weights
    expectClose(beta, BETA, 1e-7);
    // mean: 0.5 * [0.5, -0.5] + 0.5 * [3, 4] = [1.75, 1.75]
    expectClose(movingMean, [1.75, 1.75], 1e-6);
    // tfjs-layers updates the moving variance with the BIASED batch variance:
    // 0.5 * [2, 3] + 0.5 * [8/3, 56/3] = [7/3, 65/6]; the unbiased one would give [3, 15.5].
    expectClose(movingVar, [7 / 3, 65 / 6], 1e-5);
    expect(Math.abs(movingVar[1] - 15.5)).to.be.above(1);
    finish();
  });

  it('inference uses the moving statistics and leaves them unchanged', () => {
    const { model, bn, probe } = tinyModel(track);
    const h = matmul(X, KERNEL);
    const expected = normalise(h, { mean: MOVING_MEAN, variance: MOVING_VAR }, GAMMA, BETA);

    const [bnOut, out] = run(probe, X, false);
    expectClose(bnOut, flat(expected));
    expectClose(out, flat(relu(expected)));
    const predicted = tf.tidy(() => Array.from((model.predict(tf.tensor2d(X)) as tf.Tensor).dataSync()));
    expectClose(predicted, flat(relu(expected)));

    const [, , movingMean, movingVar] = bnState(bn);
    expectClose(movingMean, MOVING_MEAN, 0);
    expectClose(movingVar, MOVING_VAR, 0);
    finish();
  });

  it("bnPosition 'before' is Dense(no bias) -> BN -> Activation; 'after' is Dense(bias) -> Activation -> BN", () => {
    const layout = (bnPosition: 'before' | 'after') => {
      const model = track(mlp({ hidden: [3], batchNorm: true, bnPosition }).build({ inputShape: [2], outputs: 2 }, 1));
      const dense = layersOf(model, 'Dense');
      return {
        layers: model.layers.map((layer) => layer.getClassName()),
        useBias: dense.map((layer) => layer.getConfig().useBias),
        weightCounts: dense.map((layer) => layer.getWeights().length), // kernel, or kernel and bias
      };
    };
    expect(layout('before')).to.deep.equal({
      layers: ['InputLayer', 'Dense', 'BatchNormalization', 'Activation', 'Dense'],
      useBias: [false, true],
      weightCounts: [1, 2],
    });
    expect(layout('after')).to.deep.equal({
      layers: ['InputLayer', 'Dense', 'Activation', 'BatchNormalization', 'Dense'],
      useBias: [true, true],
      weightCounts: [2, 2],
    });
    finish();
  });

  it('a weighted layer has no bias exactly when BN directly follows it (mlp and cnn, both positions)', () => {
    const models = [
      mlp({ hidden: [4, 3], batchNorm: true, bnPosition: 'before' }).build({ inputShape: [6, 6, 1], outputs: 2 }, 1),
      mlp({ hidden: [4, 3], batchNorm: true, bnPosition: 'after' }).build({ inputShape: [6, 6, 1], outputs: 2 }, 1),
      mlp({ hidden: [4, 3] }).build({ inputShape: [6, 6, 1], outputs: 2 }, 1),
      cnn({ filters: [2, 2], dense: 4, batchNorm: true }).build({ inputShape: [8, 8, 1], outputs: 2 }, 1),
      cnn({ filters: [2, 2], dense: 4, batchNorm: true, bnPosition: 'after' }).build(
        { inputShape: [8, 8, 1], outputs: 2 },
        1,
      ),
    ].map(track);
    for (const model of models) {
      // The builders produce chains, so model.layers[i + 1] is the layer fed by model.layers[i].
      model.layers.forEach((layer, i) => {
        if (!['Dense', 'Conv2D'].includes(layer.getClassName())) return;
        const next = model.layers[i + 1];
        const followedByBn = next !== undefined && next.getClassName() === 'BatchNormalization';
        expect(layer.getConfig().useBias, `${model.name}/${layer.name}`).to.equal(!followedByBn);
      });
      expect(model.layers[model.layers.length - 1].getConfig().useBias, 'output layer').to.equal(true);
    }
    expect(layersOf(models[0], 'BatchNormalization')).to.have.length(2);
    expect(layersOf(models[3], 'BatchNormalization')).to.have.length(3);
    finish();
  });

  it('dense BN on a batch of 1 in training outputs exactly beta, whatever the input (the collapse the guard refuses)', () => {
    const { bn, probe } = tinyModel(track);
    const betaF32 = Array.from(Float32Array.from(BETA));
    for (const x of [[[1, 2]], [[-7, 30]]]) {
      const [bnOut] = run(probe, x, true);
      expect(bnOut).to.deep.equal(betaF32); // h - mean is 0 and the variance is 0: gamma * 0 / sqrt(eps) + beta
    }
    // Each such call pulls the moving variance towards 0: 3 -> 1.5 + 0 -> 0.75 (momentum 0.5).
    const [, , , movingVar] = bnState(bn);
    expectClose(
      movingVar,
      MOVING_VAR.map((v) => v * MOMENTUM * MOMENTUM),
      1e-6,
    );
    finish();
  });

  it('conv BN on a batch of 1 normalises over height x width: per-pixel outputs differ and match the hand values', () => {
    const model = track(
      cnn({ filters: [2], dense: 0, batchNorm: true, momentum: MOMENTUM, epsilon: EPSILON }).build(
        { inputShape: [3, 3, 1], outputs: 2 },
        3,
      ),
    );
    const conv = only(model, 'Conv2D');
    const bn = only(model, 'BatchNormalization');
    // 3x3 kernel with only the centre tap set: channel c outputs (c + 1) * pixel.
    const kernel = [0, 1, 2].map((r) => [0, 1, 2].map((c) => [r === 1 && c === 1 ? [1, 2] : [0, 0]]));
    setWeights(conv, [kernel]);
    setWeights(bn, [
      [1.5, 0.5],
      [0.25, -0.25],
      [0, 0],
      [1, 1],
    ]);
    const pixels = [0, 1, 2, 3, 4, 5, 6, 7, 20];
    const probe = tf.model({ inputs: model.inputs, outputs: bn.output });
    const out = tf.tidy(() => {
      const image = tf.tensor4d(pixels, [1, 3, 3, 1]);
      return Array.from((probe.apply(image, { training: true }) as tf.Tensor).dataSync());
    });

    const expected: number[] = [];
    const gamma = [1.5, 0.5];
    const beta = [0.25, -0.25];
    const channels = [1, 2].map((scale) => pixels.map((p) => p * scale));
    pixels.forEach((_, i) =>
      [0, 1].forEach((c) => {
        const values = channels[c];
        expected.push((gamma[c] * (values[i] - mean(values))) / Math.sqrt(biasedVar(values) + EPSILON) + beta[c]);
      }),
    );
    expectClose(out, expected);
    expect(out.every(Number.isFinite)).to.equal(true);
    expect(new Set(out.filter((_, i) => i % 2 === 0)).size, 'distinct values in channel 0').to.equal(pixels.length);
    finish();
  });
});

describe('BatchNorm guard', () => {
  const { track, finish } = leakCheck();

  const denseBn = () => track(mlp({ hidden: [4], batchNorm: true }).build({ inputShape: [3], outputs: 2 }, 1));
  const plainMlp = () => track(mlp({ hidden: [4] }).build({ inputShape: [3], outputs: 2 }, 1));

  it('refuses SGD on a model with dense BN, naming the layer by its place and the ways out', () => {
    const model = denseBn();
    const bnName = only(model, 'BatchNormalization').name;
    expect(() => checkBatchNormBatchSize(model, sgd(), 100, false)).to.throw(Error, /batch of 1 sample/);
    const message = thrownMessage(() => checkBatchNormBatchSize(model, sgd(), 100, false));
    expect(message).to.include('strategy sgd on 100 samples');
    expect(message).to.include("trains hidden layer 1's BatchNorm on a batch of 1 sample");
    expect(message).not.to.include(bnName);
    expect(message).to.match(/batches of at least 2 samples/);
    expect(message).to.match(/a model without BatchNorm/);
    expect(message).to.match(/allowBatchNormBatchOfOne/);
    finish();
  });

  it('allows SGD when explicitly allowed, and any strategy for a model without BN', () => {
    const model = denseBn();
    const plain = plainMlp();
    expect(() => checkBatchNormBatchSize(model, sgd(), 100, true)).not.to.throw();
    expect(() => checkBatchNormBatchSize(plain, sgd(), 100, false)).not.to.throw();
    expect(() => checkBatchNormBatchSize(plain, fullBatch(), 1, false)).not.to.throw();
    finish();
  });

  it('mini-batch: 32 on 64 samples passes, 32 on 65 (last batch of 1) throws, and passes with dropLast', () => {
    const model = denseBn();
    expect(() => checkBatchNormBatchSize(model, miniBatch(32), 64, false)).not.to.throw();
    expect(() => checkBatchNormBatchSize(model, miniBatch(32), 65, false)).to.throw(
      /mini:32 on 65 samples.*batch of 1 sample/,
    );
    expect(() => checkBatchNormBatchSize(model, miniBatch(32, { dropLast: true }), 65, false)).not.to.throw();
    // Micro-batches count too: full batch of 33 in chunks of 8 leaves a chunk of 1.
    expect(() => checkBatchNormBatchSize(model, fullBatch({ microBatch: 8 }), 33, false)).to.throw(/batch of 1 sample/);
    expect(() => checkBatchNormBatchSize(model, fullBatch({ microBatch: 8 }), 34, false)).not.to.throw();
    finish();
  });

  it('decides from the values each BN layer averages per channel, wherever the layer sits', () => {
    // A user's model: BN inside a nested Sequential, and BN over [N, 1, C] and [N, 1, 1, C] activations,
    // all of which average one value per channel at batch size 1.
    const inner = tf.sequential({
      layers: [tf.layers.dense({ units: 3, inputShape: [3] }), tf.layers.batchNormalization()],
    });
    const nested = track(tf.sequential({ layers: [inner, tf.layers.dense({ units: 2 })] }));
    const rank3 = track(
      tf.sequential({
        layers: [tf.layers.reshape({ targetShape: [1, 3], inputShape: [3] }), tf.layers.batchNormalization()],
      }),
    );
    const rank4 = track(
      tf.sequential({
        layers: [tf.layers.reshape({ targetShape: [1, 1, 3], inputShape: [3] }), tf.layers.batchNormalization()],
      }),
    );
    const image = track(
      tf.sequential({
        layers: [tf.layers.reshape({ targetShape: [2, 2, 1], inputShape: [4] }), tf.layers.batchNormalization()],
      }),
    );
    for (const model of [nested, rank3, rank4]) {
      expect(() => checkBatchNormBatchSize(model, sgd(), 10, false)).to.throw(/batch of 1 sample/);
    }
    expect(() => checkBatchNormBatchSize(image, sgd(), 10, false)).not.to.throw();
    expect(hasBatchNorm(nested)).to.equal(true);
    finish();
  });

  it('conv-only BN is allowed at batch 1, but a cnn with a dense BN layer is not', () => {
    const convOnly = track(
      cnn({ filters: [2], dense: 0, batchNorm: true }).build({ inputShape: [4, 4, 1], outputs: 2 }, 1),
    );
    const withDense = track(
      cnn({ filters: [2], dense: 4, batchNorm: true }).build({ inputShape: [4, 4, 1], outputs: 2 }, 1),
    );
    expect(layersOf(convOnly, 'BatchNormalization')).to.have.length(1);
    expect(() => checkBatchNormBatchSize(convOnly, sgd(), 100, false)).not.to.throw();
    expect(() => checkBatchNormBatchSize(withDense, sgd(), 100, false)).to.throw(/batch of 1 sample/);
    finish();
  });

  it('accumulationWarning: a message for BN with micro-batches, null without BN or without micro-batches', () => {
    const model = denseBn();
    const plain = plainMlp();
    const warning = accumulationWarning(model, fullBatch({ microBatch: 8 }), 32);
    expect(warning).to.be.a('string');
    expect(warning).to.match(/micro-batches of 8 with BatchNorm, bnAccumulation chunk \(ghost BN with g = 8\)/);
    expect(accumulationWarning(plain, fullBatch({ microBatch: 8 }), 32)).to.equal(null);
    expect(accumulationWarning(model, fullBatch(), 32)).to.equal(null);
    expect(accumulationWarning(model, miniBatch(8, { microBatch: 8 }), 32)).to.equal(null); // chunk = whole batch
    finish();
  });
});
