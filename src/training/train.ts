/**
 * The training loop: for each epoch, the strategy's index batches in order, one update per batch
 * (./step gathers it and applies it), dropout seeded per update, losses read asynchronously in
 * batches, validation at the epoch's end, callbacks throughout. Options come resolved from
 * ./options; the loop knows nothing of shuffling, splitting or files.
 */
import * as tf from '@tensorflow/tfjs';
import { splitIntoMicroBatches } from '../batching';
import type { Dataset } from '../data/dataset';
import type { ModelBuilder } from '../../models/builder';
import { accumulationWarning, checkBatchNormBatchSize } from './batchnorm-guard';
import { Callback, TrainControl, stopOnNonFinite } from './callbacks';
import { Checkpoints, openCheckpoints } from './checkpoint';
import { DropoutSeeds, dropoutSeeds } from './dropout-seeds';
import { evaluate } from './evaluate';
import type { EpochRecord, History } from './history';
import { EpochTotals, LossRecorder } from './loss-recorder';
import { ResolvedTrainOptions, TrainOptions, releaseTrainOptions, resolveTrainOptions } from './options';
import { StepContext, StepResult, accumulatedStep, singleStep } from './step';

export interface TrainResult {
  /** The trained model (built from the builder with `seed`, or the model passed in). Caller disposes it. */
  model: tf.LayersModel;
  history: History;
}

/** What the loop passes to each step, and the dropout seeds it sets before each forward pass. */
interface LoopContext extends StepContext {
  dropout: DropoutSeeds;
}

/** Read the pending sampled losses after at most this many, so NaN checks and progress stay current. */
const READ_LOSSES_EVERY = 256;

export async function train(
  modelOrBuilder: tf.LayersModel | ModelBuilder,
  data: Dataset,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const opts = resolveTrainOptions(options, data);
  const { trainData } = opts;
  const built = !(modelOrBuilder instanceof tf.LayersModel);
  try {
    const model = built
      ? modelOrBuilder.build({ inputShape: trainData.inputShape, outputs: trainData.numClasses }, opts.seed)
      : modelOrBuilder;
    try {
      checkBatchNormBatchSize(model, opts.strategy, trainData.size, opts.allowBatchNormBatchOfOne);
      const warning = accumulationWarning(model, opts.strategy, trainData.size);
      if (warning) opts.warn(warning);
      const described = built ? modelOrBuilder.describe() : null;
      const checkpoints = await openCheckpoints({ ...opts, model, described });
      const history = await runEpochs(model, described ?? model.name, opts, checkpoints);
      return { model, history };
    } catch (error) {
      if (built) model.dispose();
      throw error;
    }
  } finally {
    releaseTrainOptions(opts);
  }
}

async function runEpochs(
  model: tf.LayersModel,
  describe: string,
  opts: ResolvedTrainOptions,
  checkpoints: Checkpoints | null,
): Promise<History> {
  const { trainData: data, validation } = opts;
  const callbacks: Callback[] = opts.stopOnNaN ? [stopOnNonFinite(), ...opts.callbacks] : opts.callbacks;
  const history: History = {
    model: describe,
    strategy: opts.strategy.label,
    optimizer: opts.optimizerName,
    learningRate: opts.learningRate,
    seed: opts.seed,
    backend: tf.getBackend(),
    trainSize: data.size,
    epochs: [...(checkpoints?.restored?.epochs ?? [])],
    updates: [...(checkpoints?.restored?.updates ?? [])],
    updateLossEvery: opts.updateLossEvery,
    stopReason: null,
  };
  const control: TrainControl = {
    stop: (reason) => {
      history.stopReason ??= reason;
    },
    get stopReason() {
      return history.stopReason;
    },
  };
  const ctx: LoopContext = {
    model,
    data,
    optimizer: opts.optimizer,
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    dropout: dropoutSeeds(model, opts.seed),
  };
  const info = {
    epochs: opts.epochs,
    updatesPerEpoch: opts.strategy.updatesPerEpoch(data.size),
    trainSize: data.size,
    strategy: opts.strategy.label,
    model: describe,
    completedEpochs: [...history.epochs],
  };
  for (const cb of callbacks) await cb.onTrainBegin?.(info);
  const recorder = new LossRecorder(opts.updateLossEvery);
  try {
    for (let epoch = history.epochs.length; epoch < opts.epochs && !history.stopReason; epoch++) {
      const record = await runEpoch(ctx, epoch, opts, recorder, callbacks, control, history);
      if (validation) {
        const val = await evaluate(model, validation);
        record.valLoss = val.loss;
        record.valAccuracy = val.accuracy;
      }
      history.epochs.push(record);
      for (const cb of callbacks) await cb.onEpochEnd?.(record, control);
      if (!history.stopReason) await checkpoints?.afterEpoch(history);
    }
  } finally {
    ctx.dropout.restore();
  }
  for (const cb of callbacks) await cb.onTrainEnd?.(history);
  return history;
}

async function runEpoch(
  ctx: LoopContext,
  epoch: number,
  opts: ResolvedTrainOptions,
  recorder: LossRecorder,
  callbacks: Callback[],
  control: TrainControl,
  history: History,
): Promise<EpochRecord> {
  const batches = opts.strategy.batches(ctx.data.size, epoch, opts.seed);
  const totals = new EpochTotals();
  const readLosses = async (): Promise<void> => {
    const records = await recorder.read();
    history.updates.push(...records);
    for (const cb of callbacks) await cb.onLosses?.(records, control);
  };
  const start = performance.now();
  const updatesBefore = history.epochs.reduce((n, e) => n + e.updates, 0);
  const stepCallbacks = callbacks.filter((cb) => cb.onStep !== undefined);
  let steps = 0;
  for (const batch of batches) {
    const update = updatesBefore + steps;
    const seeded = { ...ctx, beforeForward: (chunk: number) => ctx.dropout.seed(update, chunk) };
    const result = runStep(seeded, batch, opts.strategy.microBatch);
    recorder.record(epoch, steps, update, result.loss);
    totals.add(result.loss, result.correct, batch.length);
    tf.dispose([result.loss, result.correct ?? []]);
    steps++;
    if (stepCallbacks.length > 0) {
      const progress = { epoch, step: steps - 1, stepsInEpoch: batches.length, updates: update + 1 };
      for (const cb of stepCallbacks) cb.onStep?.(progress, control);
    }
    if (recorder.pending >= READ_LOSSES_EVERY) await readLosses();
    if (control.stopReason) break;
  }
  await readLosses();
  const sums = await totals.read();
  return {
    epoch,
    loss: sums.loss,
    accuracy: ctx.data.task === 'classification' ? sums.correct / sums.samples : null,
    valLoss: null,
    valAccuracy: null,
    seconds: (performance.now() - start) / 1000,
    updates: steps,
    samples: sums.samples,
  };
}

function runStep(ctx: StepContext, batch: Int32Array, microBatch: number | undefined): StepResult {
  const chunks = splitIntoMicroBatches(batch, microBatch);
  return chunks.length > 1 ? accumulatedStep(ctx, chunks) : singleStep(ctx, batch);
}
