import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { fullBatch, miniBatch } from '../../src/batching';
import { useBackend } from '../../src/backend';
import { disposeDataset, type Dataset } from '../../src/data/dataset';
import { cnn, mlp } from '../../models';
import type { ModelBuilder } from '../../models/builder';
import { train, type TrainOptions } from '../../src/training';
import { blobs, maxAbsDiff, tinyImages, weightsOf } from './helpers';

/**
 * The reference is one pass over the whole batch (no micro-batches): exact mode must give the same
 * update (plain SGD, so weights after = weights before - rate x gradient) and the same moving
 * statistics, while chunk mode, which normalises each chunk on its own, must not.
 */
async function afterOneEpoch(
  builder: ModelBuilder,
  data: Dataset,
  options: TrainOptions,
): Promise<{
  weights: number[][];
  loss: number;
}> {
  const { model, history } = await train(builder, data, {
    optimizer: 'sgd',
    learningRate: 0.5,
    epochs: 1,
    warn: () => {},
    ...options,
  });
  try {
    return { weights: await weightsOf(model), loss: history.epochs[0].loss };
  } finally {
    model.dispose();
  }
}

const CASES: {
  label: string;
  builder: () => ModelBuilder;
  data: () => Dataset;
  batch: 'full' | number;
  micro: number;
}[] = [
  {
    label: 'BN MLP, full batch of 48 in uneven chunks of 10',
    builder: () => mlp({ hidden: [16, 8], batchNorm: true }),
    data: () => blobs(48),
    batch: 'full',
    micro: 10,
  },
  {
    label: 'BN MLP, pytorch convention, mini:24 in chunks of 5',
    builder: () => mlp({ hidden: [8], batchNorm: true, bnConvention: 'pytorch' }),
    data: () => blobs(48),
    batch: 24,
    micro: 5,
  },
  {
    label: 'BN MLP, mini:24 in chunks of 1',
    builder: () => mlp({ hidden: [8], batchNorm: true }),
    data: () => blobs(48),
    batch: 24,
    micro: 1,
  },
  {
    label: 'BN CNN, full batch of 16 in chunks of 6',
    builder: () => cnn({ filters: [4], dense: 8, batchNorm: true }),
    data: () => tinyImages(16),
    batch: 'full',
    micro: 6,
  },
];

describe('exact BatchNorm under micro-batches', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const { label, builder, data: makeData, batch, micro } of CASES) {
      it(`equals one pass over the batch to 1e-5 on ${backend}: ${label}`, async () => {
        await useBackend(backend);
        const data = makeData();
        try {
          const strategy = (microBatch?: number) =>
            batch === 'full' ? fullBatch({ microBatch }) : miniBatch(batch, { shuffle: false, microBatch });
          const whole = await afterOneEpoch(builder(), data, { strategy: strategy() });
          const before = tf.memory().numTensors;
          const exact = await afterOneEpoch(builder(), data, { strategy: strategy(micro), bnAccumulation: 'exact' });
          expect(tf.memory().numTensors).to.equal(before);
          const chunk = await afterOneEpoch(builder(), data, {
            strategy: strategy(micro),
            allowBatchNormBatchOfOne: true,
          });
          expect(maxAbsDiff(exact.weights, whole.weights)).to.be.below(1e-5);
          expect(Math.abs(exact.loss - whole.loss)).to.be.below(1e-5);
          expect(maxAbsDiff(chunk.weights, whole.weights)).to.be.above(1e-3);
        } finally {
          disposeDataset(data);
          await useBackend('wasm');
        }
      });
    }
  }

  it('lets dense BN train on chunks of one sample, since it normalises over the batch', async () => {
    const data = blobs(12);
    const options: TrainOptions = { strategy: fullBatch({ microBatch: 1 }), epochs: 1, warn: () => {} };
    const refused = await train(mlp({ hidden: [4], batchNorm: true }), data, options).catch((e: Error) => e);
    expect(refused).to.be.instanceOf(Error);
    const { model, history } = await train(mlp({ hidden: [4], batchNorm: true }), data, {
      ...options,
      bnAccumulation: 'exact',
    });
    expect(history.bnAccumulation).to.equal('exact');
    model.dispose();
    disposeDataset(data);
  });

  it("refuses tfjs' own BatchNormalization layer and an unknown mode, naming them", async () => {
    const data = blobs(12);
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [2] }),
        tf.layers.batchNormalization({ name: 'stock_bn' }),
        tf.layers.dense({ units: 3 }),
      ],
    });
    const options: TrainOptions = { strategy: fullBatch({ microBatch: 4 }), epochs: 1 };
    const stock = await train(model, data, { ...options, bnAccumulation: 'exact' }).catch((e: Error) => e);
    expect((stock as Error).message).to.match(/bnAccumulation 'exact' needs batchlab's BatchNormalization.*'stock_bn'/);
    const unknown = await train(model, data, { ...options, bnAccumulation: 'whole' as 'exact' }).catch((e: Error) => e);
    expect((unknown as Error).message).to.equal('bnAccumulation must be chunk or exact, got whole');
    model.dispose();
    disposeDataset(data);
  });
});
