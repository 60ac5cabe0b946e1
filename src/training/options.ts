/**
 * The trainer's options, each default documented, and their resolution in one place: validated
 * once, the seed defaulted once, the validation fraction split off with it. The strategy owns
 * batching, the trainer owns epochs, optimizer and callbacks.
 */
import * as tf from '@tensorflow/tfjs';
import { Strategy, miniBatch } from '../batching';
import { Dataset, disposeDataset, splitDataset } from '../data/dataset';
import { BnAccumulation, resolveBnAccumulation } from './bn-accumulation';
import type { Callback } from './callbacks';
import { GradientClipping, resolveClipping } from './clipping';
import { DEFAULT_LEARNING_RATES, OPTIMIZER_NAMES, OptimizerName, makeOptimizer } from './optimizers';
import { LrSchedule, RateScheduler, RunShape, configuredRate, rateSetterOf } from './schedules';

export interface TrainOptions {
  /** How each epoch is cut into batches. Default: miniBatch(32). */
  strategy?: Strategy;
  /** 'sgd', 'momentum' (0.9), 'adam', or an optimizer instance. Default: 'adam'. */
  optimizer?: OptimizerName | tf.Optimizer;
  /**
   * Default: 0.001 for adam, 0.01 for momentum, 0.05 for sgd. Ignored for an optimizer instance,
   * except as a schedule's peak (default there: the instance's own rate).
   */
  learningRate?: number;
  /** The learning rate per update as a factor of `learningRate`, e.g. warmup(500, cosine()). Default: none (constant). */
  schedule?: LrSchedule;
  /** Updates a schedule that spans the run (cosine without a period, one-cycle) spans. Default: epochs x updates per epoch. */
  scheduleUpdates?: number;
  /** Largest global norm of each update's gradient, over all weights (./clipping). Default: none. */
  clipNorm?: number;
  /** Largest absolute value of each element of an update's gradient. Default: none. */
  clipValue?: number;
  /** Default: 5. */
  epochs?: number;
  /** Seeds the initial weights (for a model builder), the validation split and every epoch's order. Default: 0. */
  seed?: number;
  /** A held-out data set, or a fraction of `data` split off with the seed. Default: none. */
  validation?: Dataset | number;
  /** Default: none (a NaN/Infinity guard is always added unless stopOnNaN is false). */
  callbacks?: Callback[];
  /** Record every k-th update's loss. Default: so that an epoch records at most 500 losses. */
  updateLossEvery?: number;
  /** Stop when the loss becomes NaN or infinite. Default: true. */
  stopOnNaN?: boolean;
  /** Train dense BatchNorm on one-sample batches anyway (see batchnorm-guard.ts). Default: false. */
  allowBatchNormBatchOfOne?: boolean;
  /** Train ghost BN whose group size does not divide every batch, the last group shorter (see batchnorm-guard.ts). Default: false. */
  allowShortGhostBatch?: boolean;
  /**
   * How BatchNorm layers see a batch evaluated in micro-batches. 'chunk': each chunk is normalised
   * with its own statistics and updates the moving statistics (ghost BN with groups of the
   * micro-batch size). 'exact': every chunk is normalised with the whole batch's statistics and
   * back-propagates its coupling terms, so the update equals one pass over the batch to float
   * rounding, at the cost of 2L + 1 passes over the chunks for L BN layers (./exact-batch-norm.ts).
   * Default: 'chunk'.
   */
  bnAccumulation?: BnAccumulation;
  /** Called with warnings (e.g. BN under gradient accumulation). Default: console.warn. */
  warn?: (message: string) => void;
  /**
   * Stops training at the next update once aborted (./interrupt.ts): the epoch cut short is left out
   * of the history and the weights are set back to the end of the last finished epoch; stopReason
   * kind 'interrupted'. Default: none.
   */
  signal?: AbortSignal;
  /**
   * Write a checkpoint into `dir` every `every` epochs (default 1) and after the last one; the
   * directory keeps the latest (see checkpoint.ts). A `dir` holding another run's checkpoints is
   * refused. Default: none.
   */
  checkpoint?: { dir: string; every?: number };
  /**
   * Continue from the latest checkpoint in this directory, bit for bit as if never stopped: the
   * model (same builder and seed, or a fresh model of the same layers), data, strategy, optimizer
   * (name and settings), seed, schedule (and the updates it spans), clipping, BatchNorm variant and
   * bnAccumulation must be the run's, else it is refused naming what differs (./run-settings.ts).
   * `epochs` counts from the run's start; checkpoints go on into the same directory, as often as
   * before, unless `checkpoint` says otherwise. Default: none (start afresh).
   */
  resume?: string;
}

export interface ResolvedTrainOptions {
  /** The data trained on: `data`, or what is left of it after the validation split. */
  trainData: Dataset;
  validation: Dataset | null;
  /** Data sets made here (the split), released by `releaseTrainOptions`. */
  ownedData: Dataset[];
  strategy: Strategy;
  optimizer: tf.Optimizer;
  optimizerName: string;
  ownsOptimizer: boolean;
  learningRate: number;
  /** Sets the optimizer's rate before each update; null without a schedule. */
  scheduler: RateScheduler | null;
  clip: GradientClipping | null;
  epochs: number;
  seed: number;
  updateLossEvery: number;
  stopOnNaN: boolean;
  allowBatchNormBatchOfOne: boolean;
  allowShortGhostBatch: boolean;
  bnAccumulation: BnAccumulation;
  callbacks: Callback[];
  warn: (message: string) => void;
  signal: AbortSignal | null;
  checkpoint: { dir: string; every: number } | null;
  resume: string | null;
}

/**
 * Checks and defaults every option against `data`, splits off the validation fraction, and makes the
 * optimizer (last, so that nothing is left to release when a check fails).
 */
export function resolveTrainOptions(options: TrainOptions, data: Dataset): ResolvedTrainOptions {
  const strategy = options.strategy ?? miniBatch(32);
  const epochs = options.epochs ?? 5;
  const seed = options.seed ?? 0;
  const bnAccumulation = resolveBnAccumulation(options.bnAccumulation);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const given = options.validation;
  const split = typeof given === 'number' ? splitDataset(data, given, seed) : null;
  const trainData = split ? split.train : data;
  const ownedData = split ? [split.train, split.validation] : [];
  const validation = split ? split.validation : ((given as Dataset | undefined) ?? null);
  try {
    const updatesPerEpoch = strategy.updatesPerEpoch(trainData.size);
    const updateLossEvery = options.updateLossEvery ?? Math.max(1, Math.ceil(updatesPerEpoch / 500));
    if (!Number.isInteger(updateLossEvery) || updateLossEvery < 1) {
      throw new Error(`updateLossEvery must be a positive integer, got ${updateLossEvery}`);
    }
    const clip = resolveClipping(options);
    const run = scheduleRun(options, updatesPerEpoch, epochs);
    return {
      trainData,
      validation,
      ownedData,
      strategy,
      epochs,
      seed,
      updateLossEvery,
      stopOnNaN: options.stopOnNaN ?? true,
      allowBatchNormBatchOfOne: options.allowBatchNormBatchOfOne ?? false,
      allowShortGhostBatch: options.allowShortGhostBatch ?? false,
      bnAccumulation,
      callbacks: options.callbacks ?? [],
      warn: options.warn ?? ((message) => console.warn(`warning: ${message}`)),
      signal: options.signal ?? null,
      clip,
      ...resolveCheckpointing(options),
      ...resolveOptimizer(options, run),
    };
  } catch (error) {
    ownedData.forEach(disposeDataset);
    throw error;
  }
}

/** Releases what resolveTrainOptions made: the split data sets and an optimizer made from a name. */
export function releaseTrainOptions(opts: ResolvedTrainOptions): void {
  opts.ownedData.forEach(disposeDataset);
  if (opts.ownsOptimizer) opts.optimizer.dispose();
}

function resolveCheckpointing(options: TrainOptions): Pick<ResolvedTrainOptions, 'checkpoint' | 'resume'> {
  const { checkpoint, resume } = options;
  if (resume !== undefined && (typeof resume !== 'string' || resume === '')) {
    throw new Error(`resume must name a checkpoint directory, got ${JSON.stringify(resume)}`);
  }
  if (checkpoint === undefined) return { checkpoint: null, resume: resume ?? null };
  const every = checkpoint.every ?? 1;
  if (typeof checkpoint.dir !== 'string' || checkpoint.dir === '') {
    throw new Error(`checkpoint.dir must name a directory, got ${JSON.stringify(checkpoint.dir)}`);
  }
  if (!Number.isInteger(every) || every < 1)
    throw new Error(`checkpoint.every must be a positive integer, got ${every}`);
  return { checkpoint: { dir: checkpoint.dir, every }, resume: resume ?? null };
}

function resolveOptimizer(options: TrainOptions, run: RunShape | null) {
  const given = options.optimizer ?? 'adam';
  const { schedule } = options;
  if (given instanceof tf.Optimizer) {
    if (!schedule || !run) {
      return {
        optimizer: given,
        optimizerName: given.getClassName(),
        ownsOptimizer: false,
        learningRate: options.learningRate ?? NaN,
        scheduler: null,
      };
    }
    const setter = rateSetterOf(given);
    const initial = configuredRate(given);
    const learningRate = options.learningRate ?? initial;
    if (!(learningRate > 0 && Number.isFinite(learningRate))) {
      throw new Error(`schedule: give learningRate (the peak) for ${given.getClassName()}, whose config has no rate`);
    }
    const scheduler = new RateScheduler(schedule, setter, learningRate, run, initial);
    return { optimizer: given, optimizerName: given.getClassName(), ownsOptimizer: false, learningRate, scheduler };
  }
  if (!OPTIMIZER_NAMES.includes(given)) {
    throw new Error(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(given)}`);
  }
  const learningRate = options.learningRate ?? DEFAULT_LEARNING_RATES[given];
  // Resolved before the optimizer is made, so that a schedule the run cannot hold leaves nothing to release.
  schedule?.resolve(run as RunShape);
  const optimizer = makeOptimizer(given, learningRate);
  const scheduler = schedule
    ? new RateScheduler(schedule, rateSetterOf(optimizer), learningRate, run as RunShape)
    : null;
  return { optimizer, optimizerName: given, ownsOptimizer: true, learningRate, scheduler };
}

/** The run a schedule is resolved against; null without a schedule. */
function scheduleRun(options: TrainOptions, updatesPerEpoch: number, epochs: number): RunShape | null {
  if (options.schedule === undefined) return null;
  const { schedule, scheduleUpdates } = options;
  if (typeof schedule?.resolve !== 'function') {
    throw new Error(
      `schedule must be a schedule (warmup, cosine, parseLrSchedule('cosine'), ...), got ${JSON.stringify(schedule) ?? typeof schedule}`,
    );
  }
  if (scheduleUpdates !== undefined && !(Number.isInteger(scheduleUpdates) && scheduleUpdates > 0)) {
    throw new Error(`scheduleUpdates must be a positive integer, got ${scheduleUpdates}`);
  }
  return { updatesPerEpoch, totalUpdates: scheduleUpdates ?? epochs * updatesPerEpoch };
}
