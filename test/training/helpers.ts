// Small data sets and models shared by the training tests.
import * as tf from '@tensorflow/tfjs';
import { Dataset, toDataset } from '../../src/data/dataset';
import { gaussianBlobs, linearRegression, twoHalvesImages } from '../../src/data/synthetic';

export function blobs(samples = 64, seed = 1): Dataset {
  return toDataset(gaussianBlobs({ samples, seed }), { name: 'blobs', task: 'classification', numClasses: 3 });
}

export function linear(samples = 64): Dataset {
  return toDataset(linearRegression({ samples, seed: 2 }), { name: 'linear', task: 'regression' });
}

/** Tiny images (8x8x1, 2 classes: bright top half or bright bottom half) for CNN tests. */
export function tinyImages(samples = 16): Dataset {
  return toDataset(twoHalvesImages(samples), { name: 'tiny-images', task: 'classification', numClasses: 2 });
}

export async function weightsOf(model: tf.LayersModel): Promise<number[][]> {
  return Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
}

export function maxAbsDiff(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      max = Math.max(max, Math.abs(v - b[i][j]));
    }),
  );
  return max;
}
