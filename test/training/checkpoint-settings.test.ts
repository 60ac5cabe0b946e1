// A checkpoint belongs to its learning-rate schedule, its gradient clipping and its BatchNorm settings
// as much as to its model and data: resuming with any of them changed is refused naming both values,
// and resuming with them all the same repeats the uninterrupted run bit for bit.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miniBatch } from '../../src/batching';
import { Dataset, disposeDataset } from '../../src/data/dataset';
import { ModelBuilder, mlp } from '../../models';
import { TrainOptions, checkResume, cosine, stepDecay, train, warmup } from '../../src/training';
import { blobs } from './helpers';

const SHAPE = { inputShape: [2], outputs: 3 };

describe('checkpoints and the run settings: schedule, clipping, BatchNorm', function () {
  this.timeout(120000);
  let dir: string;
  let data: Dataset;
  // blobs(32) in batches of 8: 4 updates an epoch, 12 in the run.
  const base: TrainOptions = {
    strategy: miniBatch(8),
    optimizer: 'adam',
    learningRate: 0.01,
    schedule: warmup(2, cosine()),
    clipNorm: 1,
    seed: 3,
    epochs: 3,
    updateLossEvery: 1,
  };
  const bn = (): ModelBuilder => mlp({ hidden: [4], batchNorm: true });
  const ckpt = (): string => join(dir, 'ckpt');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-checkpoint-settings-'));
    data = blobs(32);
    // One epoch of the 3-epoch run: the schedule spans the 12 updates of the whole run.
    const first = await train(bn(), data, { ...base, epochs: 1, scheduleUpdates: 12, checkpoint: { dir: ckpt() } });
    first.model.dispose();
  });
  afterEach(() => {
    disposeDataset(data);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The refusal's lines after its first, each one setting that differs. */
  const differences = async (builder: ModelBuilder | tf.LayersModel, options: TrainOptions): Promise<string[]> => {
    const before = tf.memory().numTensors;
    const error = await train(builder, data, { ...base, ...options, resume: ckpt() }).catch((e: Error) => e);
    expect(tf.memory().numTensors, 'tensors left after the refusal').to.equal(before);
    if (!(error instanceof Error)) throw new Error('expected a refusal');
    expect(error.name).to.equal('InputError');
    const [head, ...lines] = error.message.split('\n');
    expect(head).to.equal(`resume: the checkpoint in ${join(ckpt(), 'epoch-000001')} is of a different run:`);
    return lines.map((line) => line.trim());
  };

  it('resumes with the same settings, equal to the uninterrupted run bit for bit', async () => {
    const whole = await train(bn(), data, base);
    const resumed = await train(bn(), data, { ...base, resume: ckpt() });
    expect(resumed.history.updates).to.deep.equal(whole.history.updates);
    expect(resumed.history.updates.map((u) => u.learningRate)).to.have.length(12);
    const weights = async (m: tf.LayersModel) => Promise.all(m.getWeights().map((w) => w.data()));
    expect(await weights(resumed.model)).to.deep.equal(await weights(whole.model));
    [whole.model, resumed.model].forEach((m) => m.dispose());
  });

  it('refuses another schedule, no schedule, and the same schedule over a longer run', async () => {
    const saved = 'warmup:2+cosine, peak 0.01, spanning 12 updates';
    expect(await differences(bn(), { schedule: stepDecay({ every: 2, factor: 0.5 }) })).to.deep.equal([
      `learning-rate schedule: ${saved} in the checkpoint, step:every=2,factor=0.5, peak 0.01 here`,
    ]);
    expect(await differences(bn(), { schedule: undefined })).to.deep.equal([
      `learning-rate schedule: ${saved} in the checkpoint, none here`,
    ]);
    expect(await differences(bn(), { epochs: 4 })).to.deep.equal([
      `learning-rate schedule: ${saved} in the checkpoint, warmup:2+cosine, peak 0.01, spanning 16 updates here`,
    ]);
  });

  it('refuses other clipping', async () => {
    expect(await differences(bn(), { clipNorm: 2 })).to.deep.equal([
      'gradient clipping: clipNorm 1 in the checkpoint, clipNorm 2 here',
    ]);
    expect(await differences(bn(), { clipNorm: undefined, clipValue: 0.5 })).to.deep.equal([
      'gradient clipping: clipNorm 1 in the checkpoint, clipValue 0.5 here',
    ]);
  });

  it('refuses another BatchNorm variant, from a builder and in a model passed in', async () => {
    const plain = 'hidden layer 1: BN, momentum 0.9, epsilon 0.001, biased moving variance';
    const ghost = 'hidden layer 1: ghost BN (groups of 4), momentum 0.9, epsilon 0.001, biased moving variance';
    const fromBuilder = await differences(mlp({ hidden: [4], batchNorm: true, ghostBatch: 4 }), {});
    expect(fromBuilder.filter((line) => !line.startsWith('model: '))).to.deep.equal([
      `BatchNorm: ${plain} in the checkpoint, ${ghost} here`,
    ]);
    expect(await differences(mlp({ hidden: [4], batchNorm: true, momentum: 0.8 }), {})).to.include(
      `BatchNorm: ${plain} in the checkpoint, ${plain.replace('0.9', '0.8')} here`,
    );

    // Models passed in: the ghost groups are not in a layer's config, only this field tells the two apart.
    const checkpointed = bn().build(SHAPE, 3);
    const other = join(dir, 'passed-in');
    (
      await train(checkpointed, data, { ...base, epochs: 1, scheduleUpdates: 12, checkpoint: { dir: other } })
    ).model.dispose();
    const ghostModel = mlp({ hidden: [4], batchNorm: true, ghostBatch: 4 }).build(SHAPE, 3);
    const error = await train(ghostModel, data, { ...base, resume: other }).catch((e: Error) => e);
    ghostModel.dispose();
    expect((error as Error).message.split('\n').slice(1)).to.deep.equal([
      `  BatchNorm: ${plain} in the checkpoint, ${ghost} here`,
    ]);
  });

  it('refuses a checkpoint that does not record the settings, naming each as not recorded', async () => {
    const path = join(ckpt(), 'epoch-000001', 'state.json');
    const file = JSON.parse(readFileSync(path, 'utf8')) as { state: { identity: Record<string, unknown> } };
    for (const field of ['lrSchedule', 'clipping', 'batchNorm', 'bnAccumulation']) delete file.state.identity[field];
    writeFileSync(path, JSON.stringify(file));
    expect(await differences(bn(), {})).to.deep.equal([
      'learning-rate schedule: (not recorded) in the checkpoint, warmup:2+cosine, peak 0.01, spanning 12 updates here',
      'gradient clipping: (not recorded) in the checkpoint, clipNorm 1 here',
      'BatchNorm: (not recorded) in the checkpoint, hidden layer 1: BN, momentum 0.9, epsilon 0.001, biased moving variance here',
      'bnAccumulation: (not recorded) in the checkpoint, unused here',
    ]);
  });

  it('checkResume makes the same check without training or restoring anything', async () => {
    const before = tf.memory().numTensors;
    await checkResume(bn(), data, { ...base, resume: ckpt() });
    const error = await checkResume(bn(), data, { ...base, clipNorm: 2, resume: ckpt() }).catch((e: Error) => e);
    expect((error as Error).message.split('\n').slice(1)).to.deep.equal([
      '  gradient clipping: clipNorm 1 in the checkpoint, clipNorm 2 here',
    ]);
    expect(tf.memory().numTensors, 'tensors left').to.equal(before);
  });

  it('refuses another bnAccumulation where BN meets micro-batches, and ignores it where none does', async () => {
    const micro = { strategy: miniBatch(8, { microBatch: 4 }), schedule: undefined, clipNorm: undefined };
    const chunked = join(dir, 'chunked');
    (await train(bn(), data, { ...micro, epochs: 1, checkpoint: { dir: chunked } })).model.dispose();
    const error = await train(bn(), data, { ...micro, bnAccumulation: 'exact', resume: chunked }).catch(
      (e: Error) => e,
    );
    expect((error as Error).message.split('\n').slice(1)).to.deep.equal([
      '  bnAccumulation: chunk in the checkpoint, exact here',
    ]);
    // Without BN the mode changes nothing, and the checkpoint resumes.
    const noBn = join(dir, 'no-bn');
    (await train(mlp({ hidden: [4] }), data, { ...micro, epochs: 1, checkpoint: { dir: noBn } })).model.dispose();
    const resumed = await train(mlp({ hidden: [4] }), data, {
      ...micro,
      epochs: 2,
      bnAccumulation: 'exact',
      resume: noBn,
    });
    expect(resumed.history.epochs).to.have.length(2);
    resumed.model.dispose();
  });
});
