/**
 * Measurements taken at a few checkpoints of a run, on a fixed probe set of training samples:
 * - gradient noise: how far the gradients of K batches of the strategy's size scatter around the
 *   gradient of the whole probe set, E||g_batch - g_probe||^2 / ||g_probe||^2 (0 for full batch);
 * - per hidden layer, the mean and standard deviation of its output (after the activation), and
 *   per weighted layer the norm of its kernel's gradient: internal covariate shift and vanishing
 *   gradients made visible, with BN on and off.
 * Probes run in training mode (as the updates do) and restore BN moving statistics afterwards, so
 * measuring never changes the run.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
import { meanLoss } from '../training/objective';
import { createRng, deriveSeed, permutation } from '../util/random';

export interface GradientNoise {
  batchSize: number;
  batches: number;
  /** Mean squared distance of batch gradients from the probe gradient, relative to its squared norm. */
  relativeVariance: number;
}

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
  /** Samples in the probe set. Default: 1024. */
  probeSize?: number;
  /** Batches whose gradients are compared with the probe gradient. Default: 16. */
  batches?: number;
}

/** Takes one checkpoint of `model` on `data` for batches of `batchSize`. */
export async function takeCheckpoint(
  model: tf.LayersModel,
  data: Dataset,
  batchSize: number,
  seed: number,
  at: { epoch: number; updates: number },
  options: ProbeOptions = {},
): Promise<Checkpoint> {
  const { probeSize = 1024, batches = 16 } = options;
  const probe = permutation(data.size, createRng(deriveSeed(seed, 0x9e0be))).slice(0, Math.min(probeSize, data.size));
  return withMovingStatsRestored(model, async () => {
    const gradientNoise = await measureGradientNoise(
      model,
      data,
      probe,
      Math.min(batchSize, probe.length),
      batches,
      seed,
    );
    const { activations, gradientNorms } = await measureLayers(model, data, probe);
    return { ...at, gradientNoise, activations, gradientNorms };
  });
}

async function measureGradientNoise(
  model: tf.LayersModel,
  data: Dataset,
  probe: Int32Array,
  batchSize: number,
  batches: number,
  seed: number,
): Promise<GradientNoise> {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const full = flatGradient(model, data, probe, variables);
  const rng = createRng(deriveSeed(seed, 0xba7c4));
  const count = batchSize >= probe.length ? 0 : batches;
  const ratio = tf.tidy(() => {
    let sum = tf.scalar(0);
    for (let k = 0; k < count; k++) {
      const order = permutation(probe.length, rng).slice(0, batchSize);
      const g = flatGradient(
        model,
        data,
        order.map((i) => probe[i]),
        variables,
      );
      sum = tf.add(sum, tf.sum(tf.square(tf.sub(g, full))));
    }
    return tf.div(sum, tf.mul(Math.max(count, 1), tf.sum(tf.square(full))));
  });
  const [value] = await ratio.data();
  tf.dispose([ratio, full]);
  return { batchSize, batches: count, relativeVariance: value };
}

/** All trainable gradients of the mean loss on the samples at `indices`, concatenated. */
function flatGradient(
  model: tf.LayersModel,
  data: Dataset,
  indices: Int32Array,
  variables: tf.Variable[],
): tf.Tensor1D {
  return tf.tidy(() => {
    const idx = tf.tensor1d(indices, 'int32');
    const x = tf.gather(data.x, idx);
    const y = tf.gather(data.y, idx);
    const { grads } = tf.variableGrads(
      () => meanLoss(data.task, y, model.apply(x, { training: true }) as tf.Tensor),
      variables,
    );
    return tf.concat(variables.map((v) => tf.reshape(grads[v.name], [-1])));
  });
}

async function measureLayers(
  model: tf.LayersModel,
  data: Dataset,
  probe: Int32Array,
): Promise<{ activations: LayerStat[]; gradientNorms: GradNorm[] }> {
  const hidden = model.layers.filter((l) => l.getClassName() === 'Activation');
  const kernels = model.trainableWeights.filter((w) => /kernel/.test(w.originalName));
  const statsModel = tf.model({ inputs: model.inputs, outputs: hidden.map((l) => l.output as tf.SymbolicTensor) });
  const values = tf.tidy(() => {
    const idx = tf.tensor1d(probe, 'int32');
    const x = tf.gather(data.x, idx);
    const outputs = ([] as tf.Tensor[]).concat(statsModel.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
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
