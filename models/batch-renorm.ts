/**
 * Batch renormalization (Ioffe 2017, "Batch Renormalization: Towards Reducing Minibatch Dependence
 * in Batch-Normalized Models", Algorithm 1). A training step normalises with the batch statistics
 * and then corrects towards the moving ones:
 *
 *   sigma_B = sqrt(var_B + eps)           sigma = sqrt(movingVariance + eps)
 *   r = stop_gradient(clip(sigma_B / sigma, 1/rMax, rMax))
 *   d = stop_gradient(clip((mu_B - movingMean) / sigma, -dMax, dMax))
 *   y = gamma * ((x - mu_B) / sigma_B * r + d) + beta
 *
 * so that, unclipped, training computes what inference does, (x - movingMean) / sigma. The moving
 * mean and variance then take the batch's, with the layer's momentum. The paper keeps a moving
 * standard deviation; this layer keeps the moving variance of tfjs' BatchNormalization (its saved
 * form, and inference, are the stock layer's) and takes sigma from it as inference does.
 *
 * The schedule is the paper's (section 4): rMax = 1 and dMax = 0, i.e. plain BN, for the first
 * 5000 updates, then relaxed (linearly here; the paper says "gradually") to rMax = 3 at update
 * 40000 and dMax = 5 at update 25000. Owns the options, the schedule and the forward maths (stock
 * tfjs ops; the gradient is tfjs' own, with r and d held constant).
 */
import * as tf from '@tensorflow/tfjs';

export interface BatchRenormOptions {
  /** r's final bound: r is clipped to [1/rMax, rMax]; at least 1. Default: 3. */
  rMax?: number;
  /** d's final bound: d is clipped to [-dMax, dMax]; at least 0. Default: 5. */
  dMax?: number;
  /** Updates made as plain BN (rMax 1, dMax 0) before the bounds start to relax. Default: 5000. */
  relaxFrom?: number;
  /** The update at which rMax reaches its final value, rising linearly from 1 after relaxFrom. Default: 40000. */
  rMaxAt?: number;
  /** The update at which dMax reaches its final value, rising linearly from 0 after relaxFrom. Default: 25000. */
  dMaxAt?: number;
}

export type BatchRenorm = Required<BatchRenormOptions>;

/** The paper's values. */
export const BATCH_RENORM_DEFAULTS: BatchRenorm = { rMax: 3, dMax: 5, relaxFrom: 5000, rMaxAt: 40000, dMaxAt: 25000 };

const KEYS = Object.keys(BATCH_RENORM_DEFAULTS) as (keyof BatchRenorm)[];

/** Defaults applied and every field checked, naming it and its value. */
export function resolveBatchRenorm(options: BatchRenormOptions): BatchRenorm {
  const unknown = Object.keys(options).find((key) => !KEYS.includes(key as keyof BatchRenorm));
  if (unknown) throw new Error(`batchRenorm: unknown option ${unknown} (options: ${KEYS.join(', ')})`);
  const resolved = { ...BATCH_RENORM_DEFAULTS, ...options };
  const { rMax, dMax, relaxFrom, rMaxAt, dMaxAt } = resolved;
  if (!(rMax >= 1 && Number.isFinite(rMax))) throw new Error(`batchRenorm: rMax must be a number >= 1, got ${rMax}`);
  if (!(dMax >= 0 && Number.isFinite(dMax))) throw new Error(`batchRenorm: dMax must be a number >= 0, got ${dMax}`);
  if (!Number.isInteger(relaxFrom) || relaxFrom < 0) {
    throw new Error(`batchRenorm: relaxFrom must be a non-negative integer, got ${relaxFrom}`);
  }
  for (const [name, at] of [
    ['rMaxAt', rMaxAt],
    ['dMaxAt', dMaxAt],
  ] as const) {
    if (!Number.isInteger(at) || at < relaxFrom) {
      throw new Error(`batchRenorm: ${name} must be an integer >= relaxFrom (${relaxFrom}), got ${at}`);
    }
  }
  return resolved;
}

/**
 * `rMax=3,dMax=5,relaxFrom=500,rMaxAt=4000,dMaxAt=2500` (any subset; empty for the paper's values),
 * as `--batch-renorm` and spec files write it.
 */
export function parseBatchRenorm(text: string): BatchRenorm {
  const options: Record<string, number> = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const match = /^\s*([A-Za-z]+)\s*=\s*(\S+)\s*$/.exec(part);
    if (!match) throw new Error(`batchRenorm: expected key=value, got "${part}" (keys: ${KEYS.join(', ')})`);
    const value = Number(match[2]);
    if (!Number.isFinite(value)) throw new Error(`batchRenorm: ${match[1]} must be a number, got ${match[2]}`);
    options[match[1]] = value;
  }
  return resolveBatchRenorm(options);
}

/** The bounds at update `step` (0-based: the number of updates made before this one). */
export function renormLimits(step: number, renorm: BatchRenorm): { rMax: number; dMax: number } {
  const ramp = (final: number, from: number, at: number): number => {
    if (step >= at) return final;
    if (step <= renorm.relaxFrom) return from;
    return from + ((final - from) * (step - renorm.relaxFrom)) / (at - renorm.relaxFrom);
  };
  return {
    rMax: ramp(renorm.rMax, 1, renorm.rMaxAt),
    dMax: ramp(renorm.dMax, 0, renorm.dMaxAt),
  };
}

/** "rMax 3 at update 40000, dMax 5 at update 25000, from update 5000". */
export function describeBatchRenorm(renorm: BatchRenorm): string {
  return (
    `rMax ${renorm.rMax} at update ${renorm.rMaxAt}, dMax ${renorm.dMax} at update ${renorm.dMaxAt}, ` +
    `relaxed from update ${renorm.relaxFrom}`
  );
}

/** Identity forward, no gradient backward: r and d are treated as constants. */
const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad<tf.Tensor>((x) => {
  const input = x as tf.Tensor;
  return { value: tf.clone(input), gradFunc: () => tf.zerosLike(input) };
});

export interface RenormParams {
  gamma: tf.Tensor | null;
  beta: tf.Tensor | null;
  epsilon: number;
  /** The channel axis. */
  axis: number;
  movingMean: tf.Tensor;
  movingVariance: tf.Tensor;
  limits: { rMax: number; dMax: number };
}

/** y, and the batch mean and biased variance ([C]) for the moving averages. */
export function batchRenormalize(
  x: tf.Tensor,
  p: RenormParams,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const reduce = x.shape.map((_, i) => i).filter((i) => i !== p.axis);
  const perChannel = x.shape.map((d, i) => (i === p.axis ? d : 1));
  const shaped = (t: tf.Tensor): tf.Tensor => tf.reshape(t, perChannel);
  const { mean, variance } = tf.moments(x, reduce);
  const sigmaBatch = tf.sqrt(tf.add(variance, p.epsilon));
  const sigma = tf.sqrt(tf.add(p.movingVariance, p.epsilon));
  const { rMax, dMax } = p.limits;
  const r = stopGradient(tf.clipByValue(tf.div(sigmaBatch, sigma), 1 / rMax, rMax));
  const d = stopGradient(tf.clipByValue(tf.div(tf.sub(mean, p.movingMean), sigma), -dMax, dMax));
  const normalised = tf.div(tf.sub(x, shaped(mean)), shaped(sigmaBatch));
  let y = tf.add(tf.mul(normalised, shaped(r)), shaped(d));
  if (p.gamma) y = tf.mul(y, shaped(p.gamma));
  if (p.beta) y = tf.add(y, shaped(p.beta));
  return { y, mean, variance };
}
