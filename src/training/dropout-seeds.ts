/**
 * Reproducible dropout masks. tfjs' Dropout layer draws its mask from Math.random unless the layer
 * has a seed, and with a fixed seed it draws the same mask at every call. So before each forward
 * pass the trainer gives every Dropout layer a seed derived from (run seed, update, chunk, layer):
 * two runs with one seed drop the same units, and every update draws a fresh mask. The layers' own
 * seeds come back when training ends, so a saved model is as it was built.
 */
import type * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../util/random';

/** The field of tfjs' Dropout layer that its call passes to tf.dropout (not in tfjs' public types). */
interface SeededLayer {
  seed: number | undefined;
}

export interface DropoutSeeds {
  /** Seeds every Dropout layer for the forward pass of `chunk` (0 without micro-batches) of `update`. */
  seed(update: number, chunk: number): void;
  /** Gives the layers back the seeds they were built with. */
  restore(): void;
}

export function dropoutSeeds(model: tf.LayersModel, runSeed: number): DropoutSeeds {
  const layers = model.layers
    .filter((layer) => layer.getClassName() === 'Dropout')
    .map((layer) => layer as unknown as SeededLayer);
  const built = layers.map((layer) => layer.seed);
  return {
    seed: (update, chunk) => {
      layers.forEach((layer, i) => {
        layer.seed = deriveSeed(runSeed, update, chunk, i);
      });
    },
    restore: () => {
      layers.forEach((layer, i) => {
        layer.seed = built[i];
      });
    },
  };
}
