/**
 * The in-memory data set every other part trains on: features and targets as one tensor each on the
 * active backend, so a batch is a gather by index. Owns construction from plain arrays, seeded
 * splitting, normalisation and disposal; reading files belongs to the source modules beside it.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, deriveSeed, permutation } from '../util/random';
import { InputError } from './input-error';

export type Task = 'classification' | 'regression';

export interface Dataset {
  /** Human-readable name used in logs and results. */
  readonly name: string;
  /** Features, float32, shape [size, ...inputShape]. */
  readonly x: tf.Tensor;
  /** Targets: one-hot float32 [size, numClasses] for classification, [size, 1] for regression. */
  readonly y: tf.Tensor2D;
  readonly size: number;
  readonly inputShape: number[];
  /** Number of classes; 1 for regression (one output unit). */
  readonly numClasses: number;
  readonly task: Task;
}

/** Plain arrays as the file readers and generators produce them. */
export interface RawData {
  /** Row-major features: size * product(inputShape) values. */
  features: Float32Array;
  inputShape: number[];
  /** Class indices (classification) or target values (regression), one per sample. */
  targets: Int32Array | Float32Array;
}

export interface DatasetSpec {
  name: string;
  task: Task;
  /** Required for classification; every target must lie in [0, numClasses). */
  numClasses?: number;
}

/** Moves raw arrays onto the backend as a Dataset. */
export function toDataset(raw: RawData, spec: DatasetSpec): Dataset {
  const featureSize = raw.inputShape.reduce((a, b) => a * b, 1);
  const size = raw.targets.length;
  if (raw.features.length !== size * featureSize) {
    throw new Error(
      `${spec.name}: ${raw.features.length} feature values do not match ${size} samples of shape [${raw.inputShape.join(',')}]`,
    );
  }
  const x = tf.tensor(raw.features, [size, ...raw.inputShape], 'float32');
  if (spec.task === 'regression') {
    const y = tf.tensor2d(Float32Array.from(raw.targets), [size, 1]);
    return { name: spec.name, x, y, size, inputShape: [...raw.inputShape], numClasses: 1, task: 'regression' };
  }
  const numClasses = spec.numClasses ?? 0;
  checkClassIndices(spec.name, raw.targets, numClasses);
  const y = tf.tidy(
    () => tf.oneHot(tf.tensor1d(Int32Array.from(raw.targets), 'int32'), numClasses).toFloat() as tf.Tensor2D,
  );
  return { name: spec.name, x, y, size, inputShape: [...raw.inputShape], numClasses, task: 'classification' };
}

function checkClassIndices(name: string, targets: ArrayLike<number>, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new Error(`${name}: numClasses must be an integer >= 2, got ${numClasses}`);
  }
  for (let i = 0; i < targets.length; i++) {
    const label = targets[i];
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new Error(`${name}: label ${label} at sample ${i} is outside [0, ${numClasses})`);
    }
  }
}

/** The samples at `indices`, as a new Dataset (the source stays valid). */
export function subset(data: Dataset, indices: Int32Array, name = data.name): Dataset {
  return tf.tidy(() => {
    const idx = tf.tensor1d(indices, 'int32');
    return {
      ...data,
      name,
      x: tf.keep(tf.gather(data.x, idx)),
      y: tf.keep(tf.gather<tf.Tensor2D>(data.y, idx)),
      size: indices.length,
    };
  });
}

/**
 * Seeded split into train and validation parts: a permutation derived from `seed`, the first
 * round(size * fraction) samples of it for validation. The source is left untouched.
 */
export function splitDataset(data: Dataset, fraction: number, seed: number): { train: Dataset; validation: Dataset } {
  if (!(fraction > 0 && fraction < 1)) {
    throw new Error(`validation fraction must be in (0, 1), got ${fraction}`);
  }
  const order = permutation(data.size, createRng(deriveSeed(seed, 0x5eed)));
  const nVal = Math.round(data.size * fraction);
  if (nVal === 0 || nVal === data.size) {
    throw new InputError(`validation fraction ${fraction} of ${data.size} samples leaves one side empty`);
  }
  return {
    validation: subset(data, order.slice(0, nVal), `${data.name}/validation`),
    train: subset(data, order.slice(nVal), `${data.name}/train`),
  };
}

export interface Standardizer {
  mean: tf.Tensor;
  std: tf.Tensor;
}

/**
 * Per-feature z-score statistics of `data` (features with zero spread keep std 1), to be applied to
 * this and every other split with {@link standardize} so validation data never leaks into them.
 */
export function fitStandardizer(data: Dataset): Standardizer {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(data.x, 0);
    const std = tf.sqrt(variance);
    return { mean: tf.keep(mean), std: tf.keep(tf.where(tf.greater(std, 1e-12), std, tf.onesLike(std))) };
  });
}

/** A new Dataset with standardised features; the input is disposed. */
export function standardize(data: Dataset, stats: Standardizer): Dataset {
  const x = tf.tidy(() => tf.div(tf.sub(data.x, stats.mean), stats.std));
  data.x.dispose();
  return { ...data, x };
}

export function disposeDataset(data: Dataset): void {
  data.x.dispose();
  data.y.dispose();
}
