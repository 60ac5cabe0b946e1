/**
 * Ghost batch normalization (Hoffer, Hubara and Soudry 2017, "Train longer, generalize better",
 * Algorithm 1): a training batch of n samples is cut, in batch order, into groups of g samples
 * ("ghost batches"), and each group is normalised with its own mean and biased variance. With a
 * batch that g does not divide, the last group holds the n mod g samples left over; whether that is
 * allowed is the trainer's decision (src/training/batchnorm-guard.ts), not this module's.
 *
 * Moving statistics follow the groups: the moving average is updated once per group, in order, as
 * if each group were a batch of its own, so a batch of n / g groups moves the averages exactly as
 * n / g separate passes over the groups would. That is Algorithm 1's update, read with the decay
 * raised to the number of groups (the printed algorithm writes (1 - eta)^|B_S|, the ghost batch
 * size, in front of the old value and (1 - eta)^i inside the sum; the sequential reading is the only
 * one in which the weights sum to 1). The paper averages the standard deviation; this layer keeps a
 * moving variance, as tfjs-layers, Keras and PyTorch do and as inference uses it.
 *
 * Stock tfjs ops throughout: the gradient is tfjs' own differentiation of these ops. The fused
 * kernels (src/ops/batch-norm-training.ts) normalise over every leading axis and do not apply.
 */
import * as tf from '@tensorflow/tfjs';

export interface GhostStatistics {
  y: tf.Tensor;
  /** Each group's mean, [groups, C], in batch order. */
  means: tf.Tensor2D;
  /** Each group's biased variance, [groups, C]. */
  variances: tf.Tensor2D;
  /** Samples in each group: g, ..., g, then n mod g when g does not divide n. */
  sizes: number[];
}

/**
 * The sizes of the groups a batch of n is cut into.
 * @example ghostGroupSizes(10, 4) -> [4, 4, 2]; ghostGroupSizes(8, 4) -> [4, 4]; ghostGroupSizes(3, 4) -> [3]
 */
export function ghostGroupSizes(n: number, g: number): number[] {
  const sizes: number[] = Array.from({ length: Math.floor(n / g) }, () => g);
  if (n % g > 0) sizes.push(n % g);
  return sizes;
}

/**
 * Normalises `x` (batch axis 0, channels on `axis`) in groups of `g` samples. `gamma` and `beta`
 * are [C] or null (no scale, no offset).
 */
export function ghostBatchNorm(
  x: tf.Tensor,
  params: { gamma: tf.Tensor | null; beta: tf.Tensor | null; epsilon: number; axis: number },
  g: number,
): GhostStatistics {
  const n = x.shape[0];
  const whole = Math.floor(n / g) * g;
  const parts = [];
  if (whole > 0) parts.push(normaliseGroups(whole === n ? x : tf.slice(x, 0, whole), g, params));
  if (whole < n) parts.push(normaliseGroups(tf.slice(x, whole, n - whole), n - whole, params));
  const join = (ts: tf.Tensor[]): tf.Tensor => (ts.length === 1 ? ts[0] : tf.concat(ts, 0));
  return {
    y: join(parts.map((p) => p.y)),
    means: join(parts.map((p) => p.mean)) as tf.Tensor2D,
    variances: join(parts.map((p) => p.variance)) as tf.Tensor2D,
    sizes: ghostGroupSizes(n, g),
  };
}

/** `x` holds whole groups of `size` samples: each normalised over its own samples (and pixels). */
function normaliseGroups(
  x: tf.Tensor,
  size: number,
  { gamma, beta, epsilon, axis }: { gamma: tf.Tensor | null; beta: tf.Tensor | null; epsilon: number; axis: number },
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const groups = x.shape[0] / size;
  const channels = x.shape[axis];
  // [groups, size, ...rest]: the channel axis moves one place right; reduce over all but 0 and it.
  const grouped = tf.reshape(x, [groups, size, ...x.shape.slice(1)]);
  const reduce = grouped.shape.map((_, i) => i).filter((i) => i !== 0 && i !== axis + 1);
  const { mean, variance } = tf.moments(grouped, reduce, true);
  const perChannel = grouped.shape.map((d, i) => (i === axis + 1 ? d : 1));
  let y = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, epsilon)));
  if (gamma) y = tf.mul(y, tf.reshape(gamma, perChannel));
  if (beta) y = tf.add(y, tf.reshape(beta, perChannel));
  return {
    y: tf.reshape(y, x.shape),
    mean: tf.reshape(mean, [groups, channels]),
    variance: tf.reshape(variance, [groups, channels]),
  };
}

/**
 * The moving mean and variance after one update per group, in order, with tfjs-layers' momentum
 * (the weight of the old value): moving_k = m^k moving_0 + sum_l (1 - m) m^(k-l) stat_l. Each group's
 * variance is first multiplied by `varianceFactor(size)` (n/(n-1) for the unbiased convention, 1
 * otherwise). The closed form is one product per statistic rather than k updates in a row; it
 * equals the sequential updates to float rounding.
 */
export function ghostMovingAverages(
  moving: { mean: tf.Tensor; variance: tf.Tensor },
  groups: Pick<GhostStatistics, 'means' | 'variances' | 'sizes'>,
  momentum: number,
  varianceFactor: (size: number) => number,
): [tf.Tensor, tf.Tensor] {
  const k = groups.sizes.length;
  const weights = groups.sizes.map((_, l) => (1 - momentum) * momentum ** (k - 1 - l));
  const decay = momentum ** k;
  const average = (old: tf.Tensor, stats: tf.Tensor2D, w: number[]): tf.Tensor =>
    tf.add(tf.mul(old, decay), tf.reshape(tf.matMul(tf.tensor2d(w, [1, k]), stats), old.shape));
  return [
    average(moving.mean, groups.means, weights),
    average(
      moving.variance,
      groups.variances,
      weights.map((w, l) => w * varianceFactor(groups.sizes[l])),
    ),
  ];
}
