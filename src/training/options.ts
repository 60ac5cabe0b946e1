/**
 * The trainer's options, each default documented, and their resolution in one place: validated
 * once, the seed defaulted once, the validation fraction split off with it. The strategy owns
 * batching, the trainer owns epochs, optimizer and callbacks.
 */
import * as tf from '@tensorflow/tfjs';
import { Strategy, miniBatch } from '../batching';
import { Dataset, disposeDataset, splitDataset } from '../data/dataset';
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
  /** Called with warnings (e.g. BN under gradient accumulation). Default: console.warn. */
  warn?: (message: string) => void;
  /**
   * Write a checkpoint into `dir` every `every` epochs (default 1) and after the last one; the
   * directory keeps the latest (see checkpoint.ts). A `dir` holding another run's checkpoints is
   * refused. Default: none.
   */
  checkpoint?: { dir: string; every?: number };
  /**
   * Continue from the latest checkpoint in this directory, bit for bit as if never stopped: the
   * model (same builder and seed, or a fresh model of the same layers), data, strategy, optimizer
   * (name and settings) and seed must be the run's, else it is refused naming what differs.
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
  epochs: number;
  seed: number;
  updateLossEvery: number;
  stopOnNaN: boolean;
  allowBatchNormBatchOfOne: boolean;
  callbacks: Callback[];
  warn: (message: string) => void;
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
      callbacks: options.callbacks ?? [],
      warn: options.warn ?? ((message) => console.warn(`warning: ${message}`)),
      ...resolveCheckpointing(options),
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
