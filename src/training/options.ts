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
import { DEFAULT_LEARNING_RATES, OPTIMIZER_NAMES, OptimizerName, makeOptimizer } from './optimizers';

export interface TrainOptions {
  /** How each epoch is cut into batches. Default: miniBatch(32). */
  strategy?: Strategy;
  /** 'sgd', 'momentum' (0.9), 'adam', or an optimizer instance. Default: 'adam'. */
  optimizer?: OptimizerName | tf.Optimizer;
  /** Default: 0.001 for adam, 0.01 for momentum, 0.05 for sgd. Ignored for an optimizer instance. */
  learningRate?: number;
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
      ...resolveOptimizer(options),
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

function resolveOptimizer(options: TrainOptions) {
  const given = options.optimizer ?? 'adam';
  if (given instanceof tf.Optimizer) {
    return {
      optimizer: given,
      optimizerName: given.getClassName(),
      ownsOptimizer: false,
      learningRate: options.learningRate ?? NaN,
    };
  }
  if (!OPTIMIZER_NAMES.includes(given)) {
    throw new Error(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(given)}`);
  }
  const learningRate = options.learningRate ?? DEFAULT_LEARNING_RATES[given];
  return { optimizer: makeOptimizer(given, learningRate), optimizerName: given, ownsOptimizer: true, learningRate };
}
