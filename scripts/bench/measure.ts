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
import { makeOptimizer, train } from '../../src/training';

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

/** batchlab's trainer: one epoch of `strategy` over `data` per pass (the epoch's own timer). */
export async function timeTrainer(builder: ModelBuilder, data: Dataset, strategy: Strategy, repeats: number): Promise<Timing> {
  const model = builder.build({ inputShape: data.inputShape, outputs: data.numClasses }, 0);
  try {
    const passes: number[] = [];
    for (let pass = -1; pass < repeats; pass++) {
      const { history } = await train(model, data, {
        strategy, epochs: 1, seed: pass + 1, allowBatchNormBatchOfOne: true, warn: () => undefined,
      });
      if (pass >= 0) passes.push(history.epochs[0].seconds);
    }
    return { samplesPerSecond: data.size / median(passes), passes };
  } finally {
    model.dispose();
  }
}

/** model.fit with the same loss (softmax cross-entropy on logits) and optimizer (Adam 0.001). */
export async function timeFit(builder: ModelBuilder, data: Dataset, batchSize: number, repeats: number): Promise<Timing> {
  const model = builder.build({ inputShape: data.inputShape, outputs: data.numClasses }, 0);
  model.compile({ optimizer: makeOptimizer('adam'), loss: (y: tf.Tensor, p: tf.Tensor) => meanLoss('classification', y, p) });
  try {
    const passes: number[] = [];
    for (let pass = -1; pass < repeats; pass++) {
      const start = performance.now();
      const history = await model.fit(data.x, data.y, { batchSize, epochs: 1, shuffle: true, verbose: 0 });
      // fit reads its loss at every batch end; one more read makes sure all work has finished.
      await tf.tensor(history.history.loss as number[]).data();
      if (pass >= 0) passes.push((performance.now() - start) / 1000);
    }
    return { samplesPerSecond: data.size / median(passes), passes };
  } finally {
    model.dispose();
  }
}

/** Peak tensor bytes of one full-batch update, measured by tf.profile. */
export async function peakBytesOfStep(builder: ModelBuilder, data: Dataset, strategy: Strategy): Promise<number> {
  const model = builder.build({ inputShape: data.inputShape, outputs: data.numClasses }, 0);
  try {
    const info = await tf.profile(async () => {
      await train(model, data, { strategy, epochs: 1, warn: () => undefined });
    });
    return info.peakBytes;
  } finally {
    model.dispose();
  }
}
