/**
 * The learning-rate range test of Smith 2017 ("Cyclical Learning Rates for Training Neural
 * Networks", section 3.3): from the model's current weights, one update per batch of the strategy
 * with the rate rising exponentially from minLr to maxLr over at most `updates` updates, stopping
 * once the loss diverges (./lr-range states the rule). Each update's loss is read before the next
 * (the test decides after every update whether to go on). The weights, BN moving statistics
 * included, are put back afterwards; the optimizer is made here and released.
 */
import * as tf from '@tensorflow/tfjs';
import { Strategy, miniBatch, splitIntoMicroBatches } from '../batching';
import type { Dataset } from '../data/dataset';
import type { ModelBuilder } from '../../models/builder';
import { checkBatchNormBatchSize } from './batchnorm-guard';
import { dropoutSeeds } from './dropout-seeds';
import { LossSmoother, LrFindPoint, LrSuggestion, divergence, rangeRate, suggestRate } from './lr-range';
import { OPTIMIZER_NAMES, OptimizerName, makeOptimizer } from './optimizers';
import { rateSetterOf } from './schedules';
import { StepContext, accumulatedStep, singleStep } from './step';
import { denseChainOf } from './dense-chain';

export interface LrFindOptions {
  /** Default: miniBatch(32). */
  strategy?: Strategy;
  /** Default: 'adam'. Made for the test and released after it. */
  optimizer?: OptimizerName;
  /** The rate of the first update. Default: 1e-7. */
  minLr?: number;
  /** The rate of the last update. Default: 10. */
  maxLr?: number;
  /** Most updates; the rate reaches maxLr at the last. Default: 100. */
  updates?: number;
  /** Seeds a builder's weights, the batch order and dropout. Default: 0. */
  seed?: number;
  /** Weight of the past in the smoothed loss. Default: 0.98. */
  smoothing?: number;
  /** Stop once the smoothed loss exceeds this many times the best. Default: 4. */
  divergence?: number;
  /** Called after each update, e.g. for progress. */
  onUpdate?: (point: LrFindPoint, updates: number) => void;
}

export interface LrFindResult {
  points: LrFindPoint[];
  /** Null when no loss was finite. */
  suggestion: LrSuggestion | null;
  /** Why the test ended before its last update, or null. */
  stopReason: string | null;
  optimizer: OptimizerName;
  strategy: string;
  minLr: number;
  maxLr: number;
  updates: number;
}

export async function lrFind(
  modelOrBuilder: tf.LayersModel | ModelBuilder,
  data: Dataset,
  options: LrFindOptions = {},
): Promise<LrFindResult> {
  const opts = resolve(options);
  const built = !(modelOrBuilder instanceof tf.LayersModel);
  const model = built
    ? modelOrBuilder.build({ inputShape: data.inputShape, outputs: data.numClasses }, opts.seed)
    : modelOrBuilder;
  const saved = built ? [] : model.getWeights().map((w) => tf.clone(w));
  try {
    checkBatchNormBatchSize(model, opts.strategy, data.size, false);
    return await rangeTest(model, data, opts);
  } finally {
    if (built) model.dispose();
    else model.setWeights(saved);
    tf.dispose(saved);
  }
}

type Resolved = Required<Omit<LrFindOptions, 'onUpdate'>> & Pick<LrFindOptions, 'onUpdate'>;

function resolve(options: LrFindOptions): Resolved {
  const opts = {
    strategy: options.strategy ?? miniBatch(32),
    optimizer: options.optimizer ?? 'adam',
    minLr: options.minLr ?? 1e-7,
    maxLr: options.maxLr ?? 10,
    updates: options.updates ?? 100,
    seed: options.seed ?? 0,
    smoothing: options.smoothing ?? 0.98,
    divergence: options.divergence ?? 4,
    onUpdate: options.onUpdate,
  };
  const positive = (name: string, v: number) => {
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v)))
      throw new Error(`lrFind: ${name} must be a positive number, got ${String(v)}`);
  };
  if (!OPTIMIZER_NAMES.includes(opts.optimizer))
    throw new Error(`lrFind: optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(opts.optimizer)}`);
  positive('minLr', opts.minLr);
  positive('maxLr', opts.maxLr);
  if (opts.maxLr <= opts.minLr) throw new Error(`lrFind: maxLr (${opts.maxLr}) must exceed minLr (${opts.minLr})`);
  if (!Number.isInteger(opts.updates) || opts.updates < 2)
    throw new Error(`lrFind: updates must be an integer of at least 2, got ${opts.updates}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`lrFind: seed must be an integer, got ${opts.seed}`);
  if (!(opts.smoothing >= 0 && opts.smoothing < 1))
    throw new Error(`lrFind: smoothing must be a number in [0, 1), got ${opts.smoothing}`);
  if (!(opts.divergence > 1 && Number.isFinite(opts.divergence)))
    throw new Error(`lrFind: divergence must be a number above 1, got ${opts.divergence}`);
  return opts;
}

async function rangeTest(model: tf.LayersModel, data: Dataset, opts: Resolved): Promise<LrFindResult> {
  const optimizer = makeOptimizer(opts.optimizer, opts.minLr);
  const setter = rateSetterOf(optimizer, 'lrFind');
  const dropout = dropoutSeeds(model, opts.seed);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const ctx: StepContext = { model, data, optimizer, variables, chain: denseChainOf(model, variables, data.task) };
  const smoother = new LossSmoother(opts.smoothing);
  const points: LrFindPoint[] = [];
  let best = Infinity;
  let stopReason: string | null = null;
  try {
    for (let epoch = 0; points.length < opts.updates && !stopReason; epoch++) {
      for (const batch of opts.strategy.batches(data.size, epoch, opts.seed)) {
        const update = points.length;
        const learningRate = rangeRate(opts.minLr, opts.maxLr, opts.updates, update);
        setter.setLearningRate(learningRate);
        const seeded = { ...ctx, beforeForward: (chunk: number) => dropout.seed(update, chunk) };
        const chunks = splitIntoMicroBatches(batch, opts.strategy.microBatch);
        const result = chunks.length > 1 ? accumulatedStep(seeded, chunks) : singleStep(seeded, batch);
        tf.dispose(result.correct ?? []);
        const loss = (await result.loss.data())[0];
        result.loss.dispose();
        const point = { update, learningRate, loss, smoothedLoss: smoother.add(loss) };
        points.push(point);
        opts.onUpdate?.(point, opts.updates);
        stopReason = divergence(point, best, opts.divergence);
        best = Math.min(best, point.smoothedLoss);
        if (stopReason || points.length >= opts.updates) break;
      }
    }
  } finally {
    dropout.restore();
    optimizer.dispose();
  }
  const { strategy, optimizer: name, minLr, maxLr, updates } = opts;
  const kept = stopReason ? points.slice(0, -1) : points;
  return {
    points,
    suggestion: suggestRate(kept),
    stopReason,
    optimizer: name,
    strategy: strategy.label,
    minLr,
    maxLr,
    updates,
  };
}
