/**
 * Measures a sweep on one backend in this process: starts the backend, loads the data, builds the
 * model once, and times full training steps (gather, forward, backward, optimizer update: the
 * trainer's own singleStep) at each batch size. Each batch size gets its warm-up first; then the
 * timed repeats run in rounds over all batch sizes, so that a slow drift of a shared machine falls
 * on every batch size alike. A repeat's time is read once, at its end, by waiting for the last
 * update's result: no tensor is read per step.
 */
import * as tf from '@tensorflow/tfjs';
import { Strategy, miniBatch } from '../batching';
import { BackendInfo, BackendName, useBackend } from '../backend';
import { disposeLoaded, loadDataset } from '../data/catalog';
import { InputError } from '../data/input-error';
import { modelBuilder } from '../../models';
import { makeOptimizer } from '../training';
import { StepContext, singleStep } from '../training/step';
import type { ResolvedThroughputOptions, ThroughputPoint } from './sweep';

export interface BackendSweep {
  backend: BackendInfo;
  points: ThroughputPoint[];
}

/** Starts `name` as the active backend and measures every batch size on it. */
export async function measureBackend(name: BackendName, opts: ResolvedThroughputOptions): Promise<BackendSweep> {
  const backend = await useBackend(name, { kernels: opts.kernels });
  const loaded = await loadDataset(opts.data, { dataDir: opts.dataDir, seed: opts.seed });
  try {
    const data = loaded.train;
    const largest = Math.max(...opts.batchSizes);
    if (largest > data.size)
      throw new InputError(
        `batch size ${largest} (batchSizes, --batch-sizes) exceeds the ${data.size} training samples of ${opts.data}`,
      );
    const builder = modelBuilder(opts.model, { batchNorm: opts.batchNorm });
    const model = builder.build({ inputShape: data.inputShape, outputs: data.numClasses }, opts.seed);
    const optimizer = makeOptimizer(opts.optimizer);
    try {
      const ctx: StepContext = {
        model,
        data,
        optimizer,
        variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
      };
      const points = await measureOn(ctx, name, opts);
      return { backend, points };
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  } finally {
    disposeLoaded(loaded);
  }
}

/** Warm-up and step counts per batch size, then `repeats` timed rounds over all batch sizes. */
async function measureOn(
  ctx: StepContext,
  backend: string,
  opts: ResolvedThroughputOptions,
): Promise<ThroughputPoint[]> {
  const cycles = opts.batchSizes.map((b) => new BatchCycle(ctx.data.size, b, opts.seed));
  const points: ThroughputPoint[] = [];
  for (const cycle of cycles) {
    const before = ctx.optimizer.iterations;
    await timeSteps(ctx, cycle, opts.warmup);
    const steps = opts.steps ?? (await calibrate(ctx, cycle, opts.seconds));
    const updates = ctx.optimizer.iterations - before;
    points.push({ backend, batchSize: cycle.batchSize, samplesPerSecond: [], steps, seconds: [], updates });
  }
  for (let repeat = 0; repeat < opts.repeats; repeat++) {
    for (const [i, cycle] of cycles.entries()) {
      const point = points[i];
      const before = ctx.optimizer.iterations;
      const seconds = await timeSteps(ctx, cycle, point.steps);
      point.updates += ctx.optimizer.iterations - before;
      const samplesPerSecond = (point.steps * cycle.batchSize) / seconds;
      point.seconds.push(seconds);
      point.samplesPerSecond.push(samplesPerSecond);
      opts.onRepeat?.({ backend, batchSize: cycle.batchSize, repeat, repeats: opts.repeats, samplesPerSecond });
    }
  }
  return points;
}

/**
 * Steps per repeat that take about `seconds`: groups of 1, 2, 4, ... untimed steps until a group
 * takes a quarter of `seconds`, whose time per step sets the count (at least 1). The groups, about
 * half of `seconds` in all, also finish the warm-up: small batches need hundreds of steps before
 * the JavaScript that dispatches each op runs at full speed.
 */
async function calibrate(ctx: StepContext, cycle: BatchCycle, seconds: number): Promise<number> {
  for (let group = 1; ; group *= 2) {
    const took = await timeSteps(ctx, cycle, group);
    if (took >= seconds / 4) return Math.max(1, Math.round((seconds * group) / took));
  }
}

/**
 * Runs `steps` training steps and returns their seconds. The clock stops once the last update has
 * been applied: reading the last trainable variable (the output bias, a few numbers) waits for it
 * on backends that compute asynchronously.
 */
async function timeSteps(ctx: StepContext, cycle: BatchCycle, steps: number): Promise<number> {
  const start = performance.now();
  for (let step = 0; step < steps; step++) {
    const result = singleStep(ctx, cycle.next());
    tf.dispose([result.loss, result.correct ?? []]);
  }
  await ctx.variables[ctx.variables.length - 1].data();
  return (performance.now() - start) / 1000;
}

/**
 * The index batches of mini-batch b over `size` samples, epoch after epoch, the last short batch
 * of each epoch dropped so that every step has b samples.
 * @example new BatchCycle(10, 4, 0): epoch 0's two batches of 4, then epoch 1's, ...
 */
export class BatchCycle {
  private readonly strategy: Strategy;
  private batches: Int32Array[] = [];
  private epoch = 0;

  constructor(
    private readonly size: number,
    readonly batchSize: number,
    private readonly seed: number,
  ) {
    this.strategy = miniBatch(batchSize, { dropLast: true });
  }

  next(): Int32Array {
    if (this.batches.length === 0) this.batches = this.strategy.batches(this.size, this.epoch++, this.seed).reverse();
    return this.batches.pop() as Int32Array;
  }
}
