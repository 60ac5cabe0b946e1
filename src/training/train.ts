/**
 * The training loop: for each epoch, the strategy's index batches in order, one update per batch
 * (./step gathers it and applies it), dropout seeded per update, losses read asynchronously in
 * batches, validation at the epoch's end, callbacks throughout. Options come resolved from
 * ./options; the loop knows nothing of shuffling, splitting or files.
 */
import * as tf from '@tensorflow/tfjs';
import { splitIntoMicroBatches, withoutMicroBatch } from '../batching';
import type { Dataset } from '../data/dataset';
import type { ModelBuilder } from '../../models/builder';
import { setBatchRenormStep } from '../../models/batch-norm-layer';
import { accumulationWarning, checkBatchNormBatchSize, checkGhostBatches } from './batchnorm-guard';
import { Callback, TrainControl, stopOnNonFinite } from './callbacks';
import { Checkpoints, openCheckpoints } from './checkpoint';
import { DropoutSeeds, dropoutSeeds } from './dropout-seeds';
import { rollBackOnAbort } from './interrupt';
import { evaluate } from './evaluate';
import type { EpochRecord, History, StopReason, UpdateRecord } from './history';
import { EpochTotals, LossRecorder } from './loss-recorder';
import { exactAccumulatedStep, exactBatchNormLayers } from './exact-batch-norm';
import type { BnAccumulation } from './bn-accumulation';
import { ResolvedTrainOptions, TrainOptions, releaseTrainOptions, resolveTrainOptions } from './options';
import { StepContext, StepResult, accumulatedStep, singleStep } from './step';
import { denseChainOf } from './dense-chain';

export interface TrainResult {
  /** The trained model (built from the builder with `seed`, or the model passed in). Caller disposes it. */
  model: tf.LayersModel;
  history: History;
}

/** What the loop passes to each step, and the dropout seeds it sets before each forward pass. */
interface LoopContext extends StepContext {
  dropout: DropoutSeeds;
}

/**
 * Read the pending losses after at most this many updates, so progress stays current and a run whose
 * loss became NaN stops at most this many updates after the first bad one (which it names exactly).
 */
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
      checkGhostBatches(model, opts.strategy, trainData.size, opts.allowShortGhostBatch);
      // In exact mode BN sees whole batches, whatever the chunks.
      const exact = opts.bnAccumulation === 'exact';
      const seen = exact ? withoutMicroBatch(opts.strategy) : opts.strategy;
      checkBatchNormBatchSize(model, seen, trainData.size, opts.allowBatchNormBatchOfOne);
      if (exact) exactBatchNormLayers(model);
      const chunked = accumulationWarning(model, opts.strategy, trainData.size, opts.bnAccumulation);
      const warning = exact ? null : chunked;
      if (warning) opts.warn(warning);
      const described = built ? modelOrBuilder.describe() : null;
      const checkpoints = await openCheckpoints({ ...opts, model, described });
      const history = await runEpochs(model, described ?? model.name, opts, chunked !== null, checkpoints);
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
  chunkedBatchNorm: boolean,
  checkpoints: Checkpoints | null,
): Promise<History> {
  const { trainData: data, validation } = opts;
  const guards = [
    ...(opts.stopOnNaN ? [stopOnNonFinite()] : []),
    ...(opts.signal ? [rollBackOnAbort(model, opts.signal)] : []),
  ];
  const callbacks: Callback[] = [...guards, ...opts.callbacks];
  const history: History = {
    model: describe,
    strategy: opts.strategy.label,
    ...(chunkedBatchNorm ? { bnAccumulation: opts.bnAccumulation } : {}),
    optimizer: opts.optimizerName,
    learningRate: opts.learningRate,
    seed: opts.seed,
    backend: tf.getBackend(),
    trainSize: data.size,
    epochs: [...(checkpoints?.restored?.epochs ?? [])],
    updates: [...(checkpoints?.restored?.updates ?? [])],
    updateLossEvery: opts.updateLossEvery,
    stopReason: null,
    ...(opts.scheduler ? { lrSchedule: opts.scheduler.schedule.label } : {}),
    ...opts.clip,
  };
  const control: TrainControl = {
    stop: (reason) => {
      history.stopReason ??= reason;
    },
    get stopReason() {
      return history.stopReason;
    },
  };
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const ctx: LoopContext = {
    model,
    data,
    optimizer: opts.optimizer,
    variables,
    dropout: dropoutSeeds(model, opts.seed),
    clip: opts.clip,
    chain: denseChainOf(model, variables, data.task),
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
  const recorder = new LossRecorder(opts.updateLossEvery, opts.stopOnNaN);
  try {
    for (let epoch = history.epochs.length; epoch < opts.epochs && !history.stopReason; epoch++) {
      const record = await runEpoch(ctx, epoch, opts, recorder, callbacks, control, history);
      // An epoch an interrupt cut short is not recorded (./interrupt.ts sets the weights back).
      if (control.stopReason?.kind === 'interrupted' && record.updates < info.updatesPerEpoch) break;
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
    const { sampled, firstNonFinite } = await recorder.read();
    history.updates.push(...sampled);
    if (firstNonFinite && opts.stopOnNaN) control.stop(nonFiniteStop(firstNonFinite, updatesBefore + steps));
    for (const cb of callbacks) await cb.onLosses?.(sampled, control);
  };
  const start = performance.now();
  const updatesBefore = history.epochs.reduce((n, e) => n + e.updates, 0);
  const stepCallbacks = callbacks.filter((cb) => cb.onStep !== undefined);
  let steps = 0;
  for (const batch of batches) {
    const update = updatesBefore + steps;
    setBatchRenormStep(ctx.model, update);
    const seeded = { ...ctx, beforeForward: (chunk: number) => ctx.dropout.seed(update, chunk) };
    const learningRate = opts.scheduler?.apply(update);
    const result = runStep(seeded, batch, opts.strategy.microBatch, opts.bnAccumulation);
    recorder.record(epoch, steps, update, result.loss, { learningRate, gradNorm: result.gradNorm });
    totals.add(result.loss, result.correct, batch.length);
    tf.dispose([result.loss, result.correct ?? [], result.gradNorm ?? []]);
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

/** The stop reason for the first non-finite loss, exact, and where the loop noticed it (its next read). */
function nonFiniteStop(first: UpdateRecord, updatesDone: number): StopReason {
  const at = `epoch ${first.epoch + 1}, step ${first.step + 1} (update ${first.update + 1})`;
  const stoppedAt = updatesDone === first.update + 1 ? '' : `; training stopped after update ${updatesDone}`;
  return { kind: 'non-finite-loss', message: `loss became ${first.loss} at ${at}${stoppedAt}` };
}

/** One update on `batch`: whole, or in micro-batches accumulated as `bnAccumulation` says. */
export function runStep(
  ctx: StepContext,
  batch: Int32Array,
  microBatch: number | undefined,
  bnAccumulation: BnAccumulation,
): StepResult {
  const chunks = splitIntoMicroBatches(batch, microBatch);
  if (chunks.length === 1) return singleStep(ctx, batch);
  return bnAccumulation === 'exact' ? exactAccumulatedStep(ctx, chunks) : accumulatedStep(ctx, chunks);
}
