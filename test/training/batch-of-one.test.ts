// The BatchNorm batch-of-one refusal as a user reads it: layers named by their place in the model,
// the cause (batch size, last batch, micro-batch) and advice whose values work on that data set.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { cnn, mlp } from '../../models';
import { fullBatch, miniBatch, sgd, withMicroBatch } from '../../src/batching';
import { adviceFor, batchOfOneCause, describeCause } from '../../src/training/batch-of-one';
import { batchNormPlaces } from '../../src/training/batchnorm-places';
import { checkBatchNormBatchSize } from '../../src/training/batchnorm-guard';
import { leakCheck } from '../helpers/leak-check';

function refusal(model: tf.LayersModel, strategy: Parameters<typeof checkBatchNormBatchSize>[1], size: number): string {
  try {
    checkBatchNormBatchSize(model, strategy, size, false);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('BatchNorm places and batch-of-one advice', () => {
  const { track, finish } = leakCheck();
  const mlpBn = (position: 'before' | 'after' = 'before') =>
    track(mlp({ hidden: [4, 4, 4], batchNorm: true, bnPosition: position }).build({ inputShape: [3], outputs: 2 }, 1));

  it('names an MLP’s BN layers hidden layer 1..k, before or after the activation', () => {
    for (const position of ['before', 'after'] as const) {
      const owners = batchNormPlaces(mlpBn(position)).map((p) => p.owner);
      expect(owners).to.deep.equal(['hidden layer 1', 'hidden layer 2', 'hidden layer 3']);
    }
    finish();
  });

  it('names a CNN’s BN layers conv block i and the dense head, or dense head layers when there are several', () => {
    const model = track(
      cnn({ filters: [2, 3], dense: 4, batchNorm: true }).build({ inputShape: [8, 8, 1], outputs: 2 }, 1),
    );
    expect(batchNormPlaces(model).map((p) => p.owner)).to.deep.equal([
      'conv block 1',
      'conv block 2',
      'the dense head',
    ]);
    // A user's model: BN on the input, two dense head layers with BN, inside a nested model.
    const head = track(
      tf.sequential({
        layers: [
          tf.layers.dense({ units: 3, inputShape: [8] }),
          tf.layers.batchNormalization(),
          tf.layers.dense({ units: 3 }),
          tf.layers.batchNormalization(),
        ],
      }),
    );
    const user = track(
      tf.sequential({
        layers: [
          tf.layers.batchNormalization({ inputShape: [4, 4, 1] }),
          tf.layers.conv2d({ filters: 2, kernelSize: 3 }),
          tf.layers.flatten(),
          head,
        ],
      }),
    );
    expect(batchNormPlaces(user).map((p) => p.owner)).to.deep.equal([
      'the input',
      'dense head layer 1',
      'dense head layer 2',
    ]);
    finish();
  });

  it('refuses by place, never by tfjs’ generated names', () => {
    const model = mlpBn();
    const message = refusal(model, sgd(), 100);
    expect(message).to.match(
      /^strategy sgd on 100 samples trains hidden layer 1's BatchNorm, hidden layer 2's BatchNorm and hidden layer 3's BatchNorm on a batch of 1 sample \(SGD updates on one sample at a time\)/,
    );
    expect(message).not.to.match(/batch_normalization|BatchNormalization\d/);
    expect(message).to.match(/Use batches of at least 2 samples/);
    expect(message).to.match(/allowBatchNormBatchOfOne \(--allow-batch-norm-batch-of-one\)/);
    finish();
  });

  it('a micro-batch that leaves a chunk of one: names the micro-batch as the cause and micro-batches that work', () => {
    const model = mlpBn();
    const strategy = miniBatch(100, { microBatch: 33 });
    // 500 samples: batches of 100 = 3 x 33 + 1; 32 gives 3 x 32 + 4 and 34 gives 2 x 34 + 32.
    const message = refusal(model, strategy, 500);
    expect(message).to.include('(micro-batches of 33 split each batch of 100 into 3 x 33 + 1)');
    expect(message).to.include('The micro-batch is the cause');
    expect(message).to.include('microBatch, --micro-batch: 32 or 34 here');
    expect(message).to.include("bnAccumulation 'exact'");
    expect(message).not.to.match(/--drop-last/);
    for (const m of [32, 34]) expect(withMicroBatch(miniBatch(100), m).smallestChunk(500)).to.be.greaterThan(1);
    // 531 samples: whole batches of 100 = 3 x 30 + 10 are fine, the last batch of 31 = 1 x 30 + 1 is not.
    const last = batchOfOneCause(miniBatch(100, { microBatch: 30 }), 531);
    expect(last).to.deep.equal({ kind: 'micro-batch', microBatch: 30, batch: 31, whole: false });
    expect(describeCause(last, miniBatch(100, { microBatch: 30 }), 531)).to.equal(
      'micro-batches of 30 split the last batch of 31 into 1 x 30 + 1',
    );
    finish();
  });

  it('a last batch of one sample: drop it or a batch size whose values leave more than one', () => {
    const cause = batchOfOneCause(miniBatch(99), 496);
    expect(cause).to.deep.equal({ kind: 'last-batch', n: 99, batches: 5 });
    expect(describeCause(cause, miniBatch(99), 496)).to.equal(
      '496 samples = 5 x 99 + 1 leave a last batch of 1 sample',
    );
    // 496 % 98 = 6 and 496 % 100 = 96: both leave more than one sample.
    expect(adviceFor(cause, miniBatch(99), 496)).to.include('--drop-last');
    expect(adviceFor(cause, miniBatch(99), 496)).to.include('mini:98 or mini:100 here');
    // With a micro-batch as well, the last batch is still the cause: no micro-batch can split one sample.
    expect(batchOfOneCause(miniBatch(99, { microBatch: 10 }), 496).kind).to.equal('last-batch');
    expect(batchOfOneCause(fullBatch(), 1).kind).to.equal('batch');
  });

  it('a CNN with a BN head: says conv BN may train on one sample and offers headBatchNorm false', () => {
    const model = track(
      cnn({ filters: [2, 3], dense: 4, batchNorm: true }).build({ inputShape: [8, 8, 1], outputs: 2 }, 1),
    );
    const message = refusal(model, sgd(), 100);
    expect(message).to.match(/trains the dense head's BatchNorm on a batch of 1 sample/);
    expect(message).to.include(
      "Conv block 1's BatchNorm and conv block 2's BatchNorm average over height x width and may train on one sample; the dense head's BatchNorm may not",
    );
    expect(message).to.include('headBatchNorm: false, --no-head-batch-norm');
    const convOnly = track(
      cnn({ filters: [2, 3], dense: 4, batchNorm: true, headBatchNorm: false }).build(
        { inputShape: [8, 8, 1], outputs: 2 },
        1,
      ),
    );
    expect(() => checkBatchNormBatchSize(convOnly, sgd(), 100, false)).not.to.throw();
    finish();
  });
});
