/**
 * The two things the benchmark times, on one backend, for one model and batch size: batchlab's
 * trainer and tfjs-layers' own model.fit, both over the same samples from the same initial weights,
 * each after a warm-up pass, as the median of several timed passes.
 */
import * as tf from '@tensorflow/tfjs';
import type { Strategy } from '../../src/batching';
import type { Dataset } from '../../src/data/dataset';
import type { ModelBuilder } from '../../models';
import { meanLoss } from '../../src/training/objective';
import { train } from '../../src/training';

export interface Timing {
  samplesPerSecond: number;
  /** Seconds of each timed pass, in order. */
  passes: number[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One timed pass: seconds for an epoch over the data. */
type Pass = () => Promise<number>;

/** batchlab's trainer: `epochs` epochs of `strategy` over `data` per pass (the epochs' own timers). */
export function trainerPass(model: tf.LayersModel, data: Dataset, strategy: Strategy, epochs = 1): Pass {
  let seed = 0;
  return async () => {
    const { history } = await train(model, data, {
      strategy,
      epochs,
      seed: ++seed,
      allowBatchNormBatchOfOne: true,
      warn: () => undefined,
    });
    return history.epochs.reduce((sum, e) => sum + e.seconds, 0);
  };
}

/**
 * model.fit as a tfjs user writes it: the same loss (softmax cross-entropy on logits) and tfjs' own
 * Adam at 0.001 ('adam'), the trainer's default optimizer (batchlab's Adam, whose fused update is
 * part of what the trainer brings).
 */
export function fitPass(model: tf.LayersModel, data: Dataset, batchSize: number, epochs = 1): Pass {
  // A string optimizer is owned by the model, so model.dispose() releases its moments too.
  model.compile({ optimizer: 'adam', loss: (y: tf.Tensor, p: tf.Tensor) => meanLoss('classification', y, p) });
  return async () => {
    const start = performance.now();
    const history = await model.fit(data.x, data.y, { batchSize, epochs, shuffle: true, verbose: 0 });
    // fit reads its loss at every batch end; one more read makes sure all work has finished.
    const losses = tf.tensor(history.history.loss as number[]);
    await losses.data();
    losses.dispose();
    return (performance.now() - start) / 1000;
  };
}

/**
 * Times several passes side by side: one warm-up pass each, then `repeats` rounds in which every
 * pass runs once, so that drift in the machine's speed affects all of them alike. Returns the
 * samples/s of each pass's median (null for a pass that failed, with its error).
 */
export async function timeInterleaved(
  passes: (Pass | null)[],
  samples: number,
  repeats: number,
): Promise<(Timing | null)[]> {
  const seconds: number[][] = passes.map(() => []);
  for (let round = -1; round < repeats; round++) {
    for (const [i, pass] of passes.entries()) {
      if (!pass) continue;
      const s = await pass();
      if (round >= 0) seconds[i].push(s);
    }
  }
  return passes.map((pass, i) =>
    pass ? { samplesPerSecond: samples / median(seconds[i]), passes: seconds[i] } : null,
  );
}

/**
 * Peak tensor bytes that one epoch of `strategy` adds on top of what already lives (the data set,
 * the model), measured by tf.profile.
 */
export async function peakBytesOfStep(builder: ModelBuilder, data: Dataset, strategy: Strategy): Promise<number> {
  const model = builder.build({ inputShape: data.inputShape, outputs: data.numClasses }, 0);
  try {
    const before = tf.memory().numBytes;
    const info = await tf.profile(async () => {
      await train(model, data, { strategy, epochs: 1, warn: () => undefined });
    });
    return info.peakBytes - before;
  } finally {
    model.dispose();
  }
}
