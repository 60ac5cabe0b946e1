/**
 * The BatchNorm channels that float32 cannot carry through the fused kernels' passes
 * (./batch-norm-training): where a per-channel coefficient, or a value on the way to the result,
 * comes near float32's largest value (about 3.4e38) while tfjs' own computation (in float64 on cpu)
 * stays in range, e.g. a gamma near that value, or a variance gradient that doubles past it. Such
 * channels, and those holding NaN or an infinity, are computed again here in float64, so that the
 * kernels overflow only where tfjs does. A trained model's activations and weights are far from
 * this range; the cost is a test per channel. Owns the tests and the float64 passes.
 */

/** Magnitudes float32 holds with room for a few additions: its largest value is about 3.4e38. */
const FLOAT32_SAFE = 1e38;

/** An activation's moments: `rows` rows of `mean.length` channels. */
export interface Moments {
  rows: number;
  mean: Float32Array;
  variance: Float32Array;
}

/** sqrt(rows * variance): no |x - mean| of the channel is larger. */
const spread = ({ rows, variance }: Moments, c: number) => Math.sqrt(rows * variance[c]);

const fits = (value: number) => Math.abs(value) < FLOAT32_SAFE;

/** The channels whose scale gamma / sqrt(variance + epsilon), or (x - mean) * scale + beta, may overflow. */
export function forwardOutOfRange(moments: Moments, scale: Float32Array, beta: Float32Array): number[] {
  const channels: number[] = [];
  for (let c = 0; c < scale.length; c++) {
    if (!fits(spread(moments, c) * Math.abs(scale[c]) + Math.abs(beta[c]))) channels.push(c);
  }
  return channels;
}

/** Channel `c` of y as tfjs' cpu batchNorm computes it: beta + (x - mean) * gamma / sqrt(variance + epsilon). */
export function normalizeInFloat64(
  c: number,
  x: Float32Array,
  { mean, variance }: Moments,
  { gamma, beta, epsilon }: { gamma: Float32Array; beta: Float32Array; epsilon: number },
  y: Float32Array,
): void {
  const std = Math.sqrt(variance[c] + epsilon);
  for (let at = c; at < x.length; at += mean.length) y[at] = beta[c] + ((x[at] - mean[c]) * gamma[c]) / std;
}

/** dx = k * dy + e * (x - mean) + g's coefficients per channel, in float64. */
export interface GradCoefficients {
  k: Float64Array;
  e: Float64Array;
  g: Float64Array;
}

/** The channels whose coefficients, or e * (x - mean), do not fit float32. */
export function backwardOutOfRange(moments: Moments, { k, e, g }: GradCoefficients): number[] {
  const channels: number[] = [];
  for (let c = 0; c < k.length; c++) {
    if (!(fits(k[c]) && fits(e[c]) && fits(e[c] * spread(moments, c)) && fits(g[c]))) channels.push(c);
  }
  return channels;
}

/** Channel `c` of dx in float64, from the float64 coefficients. */
export function normalizeGradInFloat64(
  c: number,
  { dy, x, mean }: { dy: Float32Array; x: Float32Array; mean: Float32Array },
  { k, e, g }: GradCoefficients,
  dx: Float32Array,
): void {
  for (let at = c; at < x.length; at += mean.length) dx[at] = k[c] * dy[at] + e[c] * (x[at] - mean[c]) + g[c];
}
