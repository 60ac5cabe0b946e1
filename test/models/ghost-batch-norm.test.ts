/**
 * Ghost BatchNorm (ghostBatch g): a batch normalised in groups of g samples, each with its own
 * statistics, the moving statistics updated once per group in order. Checked by hand on a literal
 * batch, and against n/g separate passes of the plain layer (outputs, gradients of the summed loss,
 * moving statistics) for a BN MLP in both conventions, a BN CNN and a short last group; then the
 * trainer's refusals and every strategy training with it.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { batchNormalizationLayer, cnn, mlp, ModelBuilder } from '../../models';
import { ghostGroupSizes } from '../../models/ghost-batch-norm';
import { fullBatch, miniBatch, sgd } from '../../src/batching';
import { train } from '../../src/training';
import { seededValues, relativeError } from '../helpers/kernel-reference';
import { leakCheck } from '../helpers/leak-check';
import { blobs, tinyImages } from '../training/helpers';

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

function expectClose(actual: number[], expected: number[], tolerance: number): void {
  expect(actual.length).to.equal(expected.length);
  actual.forEach((a, i) => expect(a, `element ${i}`).to.be.closeTo(expected[i], tolerance));
}

/** Output, gradients of the summed loss and BN moving statistics after one training pass per batch. */
function passes(model: tf.LayersModel, x: tf.Tensor, labels: tf.Tensor, groups: number[][]) {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const outputs: number[] = [];
  const grads = variables.map((v) => new Float64Array(v.size));
  for (const rows of groups) {
    tf.tidy(() => {
      const idx = tf.tensor1d(rows, 'int32');
      const [xs, ys] = [tf.gather(x, idx), tf.gather(labels, idx)];
      const { value, grads: g } = tf.variableGrads(() => {
        const logits = model.apply(xs, { training: true }) as tf.Tensor;
        outputs.push(...values(logits));
        return tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(ys, logits, undefined, undefined, tf.Reduction.SUM);
      }, variables);
      value.dispose();
      variables.forEach((v, i) => values(g[v.name]).forEach((a, j) => (grads[i][j] += a)));
    });
  }
  const moving = model.nonTrainableWeights.map((w) => values(w.read()));
  return { outputs, grads: grads.map((g) => Array.from(g)), moving };
}

describe('ghost BatchNorm (ghostBatch)', () => {
  const { track, finish } = leakCheck();

  it('cuts a batch into groups of g in batch order, the last one short', () => {
    expect(ghostGroupSizes(10, 4)).to.deep.equal([4, 4, 2]);
    expect(ghostGroupSizes(8, 4)).to.deep.equal([4, 4]);
    expect(ghostGroupSizes(3, 4)).to.deep.equal([3]);
    expect(ghostGroupSizes(5, 1)).to.deep.equal([1, 1, 1, 1, 1]);
  });

  it('normalises each group with its own statistics and moves the averages once per group (hand values)', () => {
    // Groups {[1, 0], [3, 0]} and {[2, 4], [6, 8]}: means [2, 0] and [4, 6], biased variances [1, 0] and [4, 4].
    const layer = batchNormalizationLayer({ momentum: 0.5, epsilon: 1e-3, ghostBatch: 2 });
    const x = tf.tensor2d([
      [1, 0],
      [3, 0],
      [2, 4],
      [6, 8],
    ]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const a = 1 / Math.sqrt(1 + 1e-3);
    const b = 2 / Math.sqrt(4 + 1e-3);
    expectClose(values(y), [-a, 0, a, 0, -b, -b, b, b], 1e-6);
    const [gamma, beta, movingMean, movingVariance] = layer.getWeights().map(values);
    expect([gamma, beta]).to.deep.equal([
      [1, 1],
      [0, 0],
    ]);
    // Mean from 0: 0.5 * 0 + 0.5 * 2 = 1, then 0.5 * 1 + 0.5 * 4 = 2.5 (channel 1: 0, then 3).
    expectClose(movingMean, [2.5, 3], 1e-6);
    // Variance from 1: 0.5 + 0.5 * 1 = 1, then 0.5 + 2 = 2.5 (channel 1: 0.5, then 0.25 + 2 = 2.25).
    expectClose(movingVariance, [2.5, 2.25], 1e-6);
    // Plain BN over all four rows would give mean [3, 3]: the groups are not the batch.
    tf.dispose([x, y]);
    layer.dispose();
    finish();
  });

  const cases: [string, (ghost?: number) => ModelBuilder, number[], number, number[][]][] = [
    [
      'MLP, keras convention',
      (g) => mlp({ hidden: [6, 5], batchNorm: true, momentum: 0.8, ghostBatch: g }),
      [5],
      12,
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9, 10, 11],
      ],
    ],
    [
      'MLP, pytorch convention (unbiased moving variance per group)',
      (g) => mlp({ hidden: [6, 5], batchNorm: true, bnConvention: 'pytorch', ghostBatch: g }),
      [5],
      12,
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9, 10, 11],
      ],
    ],
    [
      'MLP, a short last group',
      (g) => mlp({ hidden: [6], batchNorm: true, ghostBatch: g }),
      [5],
      10,
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
      ],
    ],
    [
      'CNN with a BN dense head',
      (g) => cnn({ filters: [3], dense: 4, batchNorm: true, ghostBatch: g }),
      [6, 6, 1],
      6,
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    ],
  ];
  for (const [name, builder, shape, n, groups] of cases) {
    it(`${name}: one pass over ${n} samples equals ${groups.length} separate passes over its groups`, () => {
      const g = groups[0].length;
      const x = tf.tensor(seededValues(n * shape.reduce((p, d) => p * d, 1), 5), [n, ...shape]);
      const labels = tf.tidy(() =>
        tf.oneHot(
          tf.tensor1d(
            Array.from({ length: n }, (_, i) => i % 3),
            'int32',
          ),
          3,
        ),
      );
      const ghost = track(builder(g).build({ inputShape: shape, outputs: 3 }, 9));
      const plain = track(builder().build({ inputShape: shape, outputs: 3 }, 9));
      const once = passes(ghost, x, labels, [Array.from({ length: n }, (_, i) => i)]);
      const separate = passes(plain, x, labels, groups);
      expect(relativeError(once.outputs, separate.outputs), 'outputs').to.be.below(1e-5);
      // The plain layer runs the fused kernel, the ghost one stock ops: float32 sums in other orders
      // (conv BN's gamma gradient differs by 2e-6 between the two even for one group of all n).
      once.grads.forEach((gr, i) => expect(relativeError(gr, separate.grads[i]), `gradient ${i}`).to.be.below(5e-5));
      once.moving.forEach((m, i) => expect(relativeError(m, separate.moving[i]), `moving ${i}`).to.be.below(1e-5));
      // And it is not plain BN over the whole batch.
      const whole = track(builder().build({ inputShape: shape, outputs: 3 }, 9));
      const plainOnce = passes(whole, x, labels, [Array.from({ length: n }, (_, i) => i)]);
      expect(relativeError(once.outputs, plainOnce.outputs)).to.be.above(1e-3);
      tf.dispose([x, labels]);
      finish();
    });
  }

  it('describes itself, and refuses a bad ghostBatch, one without BN, and one with batch renorm', () => {
    expect(mlp({ batchNorm: true, ghostBatch: 16 }).describe()).to.match(/ghost BN \(groups of 16\) before activation/);
    expect(() => mlp({ batchNorm: true, ghostBatch: 0 })).to.throw(/ghostBatch must be a positive integer, got 0/);
    expect(() => mlp({ batchNorm: true, ghostBatch: 2.5 })).to.throw(/ghostBatch must be a positive integer, got 2.5/);
    expect(() => mlp({ ghostBatch: 4 })).to.throw(/ghostBatch needs batchNorm: true/);
    expect(() => mlp({ batchNorm: true, ghostBatch: 4, batchRenorm: true })).to.throw(/exclude each other/);
  });
});

describe('ghost BatchNorm in training', () => {
  const data = blobs(100);
  after(() => tf.dispose([data.x, data.y]));
  const ghost = (g: number) => mlp({ hidden: [8], batchNorm: true, ghostBatch: g });

  it('refuses a ghostBatch that does not divide every chunk, naming the chunks and the ways out', async () => {
    const refusals: [number, Parameters<typeof train>[2], RegExp][] = [
      [
        16,
        { strategy: miniBatch(32) },
        /ghostBatch 16 does not divide every chunk strategy mini:32 feeds on 100 samples \(32, 4\): a chunk of 4 would end in a group of 4 samples/,
      ],
      [
        16,
        { strategy: miniBatch(32, { microBatch: 8 }) },
        /mini:32\/micro:8 feeds on 100 samples \(8, 4\): a chunk of 8 would end in a group of 8/,
      ],
      [
        3,
        { strategy: fullBatch() },
        /ghostBatch 3 .*full feeds on 100 samples \(100\): a chunk of 100 would end in a group of 1/,
      ],
    ];
    for (const [g, options, pattern] of refusals) {
      const error = await train(ghost(g), data, { ...options, epochs: 1 }).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message).to.match(pattern);
      expect(error?.message).to.match(/dropLast.*allowShortGhostBatch \(--allow-short-ghost-batch\)/);
    }
  });

  it('allowShortGhostBatch trains the short group; a short group of one dense sample is still a batch of one', async () => {
    const { model } = await train(ghost(16), data, { strategy: miniBatch(32), allowShortGhostBatch: true, epochs: 1 });
    model.dispose();
    const error = await train(ghost(3), data, { strategy: fullBatch(), allowShortGhostBatch: true, epochs: 1 }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/on a batch of 1 sample \(a ghost batch of 1, or a short last ghost group of 1\)/);
  });

  it('trains with every strategy, tensor count flat across epochs', async () => {
    const images = tinyImages(16);
    const runs: [ModelBuilder, typeof data, Parameters<typeof train>[2]][] = [
      [ghost(10), data, { strategy: fullBatch() }],
      [ghost(5), data, { strategy: fullBatch({ microBatch: 20 }) }],
      [ghost(4), data, { strategy: miniBatch(20) }],
      // SGD: one sample a group, allowed for convolutional BN (height x width values per channel).
      [
        cnn({ filters: [2], dense: 4, batchNorm: true, headBatchNorm: false, ghostBatch: 1 }),
        images,
        { strategy: sgd() },
      ],
    ];
    for (const [builder, set, options] of runs) {
      const counts: number[] = [];
      const { model, history } = await train(builder, set, {
        ...options,
        epochs: 3,
        warn: () => undefined,
        callbacks: [{ onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
      });
      model.dispose();
      expect(
        history.epochs.every((e) => Number.isFinite(e.loss)),
        history.strategy,
      ).to.equal(true);
      expect(new Set(counts).size, `${history.strategy}: tensors per epoch ${counts.join(', ')}`).to.equal(1);
    }
    tf.dispose([images.x, images.y]);
  });
});
