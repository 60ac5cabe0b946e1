/**
 * Measurements taken at a few checkpoints of a run:
 * - gradient noise of the strategy's batches against the gradient of the whole training set
 *   (gradient-noise.ts owns the estimator);
 * - per hidden layer, on a fixed probe set of training samples, the mean and standard deviation of
 *   its output (after the activation), and per weighted layer the norm of its kernel's gradient:
 *   internal covariate shift and vanishing gradients made visible, with BN on and off. A model
 *   without hidden layers (logistic) has no layer statistics, only its output layer's gradient norm.
 * Probes run in training mode (as the updates do) and restore BN moving statistics afterwards, so
 * measuring never changes the run.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
import { meanLoss } from '../training/objective';
import { createRng, deriveSeed, permutation } from '../util/random';
import { GradientNoise, measureGradientNoise } from './gradient-noise';

export type { GradientNoise } from './gradient-noise';

export interface LayerStat {
  layer: string;
  mean: number;
  std: number;
}

export interface GradNorm {
  layer: string;
  norm: number;
}

export interface Checkpoint {
  /** Epochs completed when measured (0 = initial weights). */
  epoch: number;
  updates: number;
  gradientNoise: GradientNoise;
  activations: LayerStat[];
  gradientNorms: GradNorm[];
}

export interface ProbeOptions {
  /** Samples in the probe set of the layer statistics. Default: 1024. */
  probeSize?: number;
  /** Batches whose gradients are compared with the whole-set gradient. Default: 32. */
  batches?: number;
}

/** How the strategy's updates see the data: samples per update and the micro-batch, if any. */
export interface ProbeBatching {
  batchSize: number;
  microBatch?: number;
}

/** Takes one checkpoint of `model` on `data` for the strategy's batches. */
export async function takeCheckpoint(
  model: tf.LayersModel,
  data: Dataset,
  batching: ProbeBatching,
  seed: number,
  at: { epoch: number; updates: number },
  options: ProbeOptions = {},
): Promise<Checkpoint> {
  const { probeSize = 1024, batches = 32 } = options;
  const probe = permutation(data.size, createRng(deriveSeed(seed, 0x9e0be))).slice(0, Math.min(probeSize, data.size));
  return withMovingStatsRestored(model, async () => {
    const gradientNoise = await measureGradientNoise(model, data, { ...batching, batches, seed });
    const { activations, gradientNorms } = await measureLayers(model, data, probe);
    return { ...at, gradientNoise, activations, gradientNorms };
  });
}

async function measureLayers(
  model: tf.LayersModel,
  data: Dataset,
  probe: Int32Array,
): Promise<{ activations: LayerStat[]; gradientNorms: GradNorm[] }> {
  const hidden = model.layers.filter((l) => l.getClassName() === 'Activation');
  const kernels = model.trainableWeights.filter((w) => /kernel/.test(w.originalName));
  // A model of no hidden layers (logistic) has no outputs to take statistics of.
  const statsModel =
    hidden.length > 0
      ? tf.model({ inputs: model.inputs, outputs: hidden.map((l) => l.output as tf.SymbolicTensor) })
      : null;
  const values = tf.tidy(() => {
    const idx = tf.tensor1d(probe, 'int32');
    const x = tf.gather(data.x, idx);
    const outputs = statsModel
      ? ([] as tf.Tensor[]).concat(statsModel.apply(x, { training: true }) as tf.Tensor | tf.Tensor[])
      : [];
    const moments = outputs.flatMap((o) => {
      const { mean, variance } = tf.moments(o);
      return [mean, tf.sqrt(variance)];
    });
    const variables = kernels.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () => meanLoss(data.task, tf.gather(data.y, idx), model.apply(x, { training: true }) as tf.Tensor),
      variables,
    );
    const norms = variables.map((v) => tf.norm(grads[v.name]));
    return tf.stack([...moments, ...norms].map((t) => tf.reshape(t, [])));
  });
  const numbers = Array.from(await values.data());
  values.dispose();
  return {
    activations: hidden.map((_, i) => ({ layer: `hidden ${i + 1}`, mean: numbers[2 * i], std: numbers[2 * i + 1] })),
    gradientNorms: kernels.map((_, i) => ({
      layer: i === kernels.length - 1 ? 'output' : `layer ${i + 1}`,
      norm: numbers[2 * hidden.length + i],
    })),
  };
}

/** Runs `fn`, then puts every non-trainable weight (BN moving mean/variance) back as it was. */
async function withMovingStatsRestored<T>(model: tf.LayersModel, fn: () => Promise<T>): Promise<T> {
  const frozen = model.nonTrainableWeights;
  const saved = frozen.map((w) => tf.clone(w.read()));
  try {
    return await fn();
  } finally {
    frozen.forEach((w, i) => w.write(saved[i]));
    tf.dispose(saved);
  }
}
