// Weights and Adam state after a few seeded updates, read asynchronously (as WebGPU needs), for
// comparing an optimizer against tfjs' own AdamOptimizer on one backend.
import * as tf from '@tensorflow/tfjs';
import { seededValues } from './kernel-reference';

// Sizes that exercise the SIMD lanes (16) and the scalar tail (15, 7, 1).
export const ADAM_TEST_SHAPES = [[4, 4], [3, 5], [7], [1]];

export interface AdamOutcome {
  weights: number[][];
  state: Record<string, number[]>;
}

/** Weights and optimizer state after `updates` updates with seeded gradients; disposes the optimizer. */
export async function afterUpdates(optimizer: tf.Optimizer, updates: number): Promise<AdamOutcome> {
  const tag = Math.random().toString(36).slice(2);
  const vars = ADAM_TEST_SHAPES.map((shape, i) =>
    tf.variable(
      tf.tensor(
        seededValues(
          shape.reduce((a, b) => a * b, 1),
          i,
        ),
        shape,
      ),
      true,
      `w${i}_${tag}`,
    ),
  );
  for (let t = 0; t < updates; t++) {
    tf.tidy(() =>
      optimizer.applyGradients(
        Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(seededValues(v.size, 100 * t + i), v.shape)])),
      ),
    );
  }
  const weights = await Promise.all(vars.map(async (v) => Array.from(await v.data())));
  const saved = await optimizer.getWeights();
  const state: Record<string, number[]> = {};
  for (const s of saved) state[s.name.replace(`_${tag}`, '')] = Array.from(await s.tensor.data());
  tf.dispose(vars);
  tf.dispose(saved.map((s) => s.tensor));
  optimizer.dispose();
  return { weights, state };
}
