// The fused ops' maths in float64, written from the textbook formulas (not from the kernels' algebra),
// with the magnitude of the terms each output is computed from. ./fuzz-fused.test.ts measures rounding
// errors against those magnitudes (a float32 sum is exact to a few units in the last place of its
// terms, not of its result), and accepts a value of batchlab's op that differs from stock tfjs where
// it stands for the float64 value: where stock's float32 steps overflow or lose digits that it keeps.
import { KernelCase } from '../helpers/fuzz';

export interface Float64Reference {
  outputs: number[][];
  /** Per output, the largest magnitude of the terms its values are computed from. */
  scales: number[];
}

const f = Math.fround;
const sum = (values: number[]) => values.reduce((s, v) => s + v, 0);
const magnitude = (v: number) => (Number.isFinite(v) ? Math.abs(v) : 0);
/** The largest finite magnitude, and a floor: a bound of 0 would ask for equal values. */
const largest = (values: number[]) => values.reduce((m, v) => Math.max(m, magnitude(v)), 1e-30);

/** x [..., C] as its C channels, each the column of its values over the leading axes. */
function columns(values: number[], channels: number): number[][] {
  return Array.from({ length: channels }, (_, c) => values.filter((_, i) => i % channels === c));
}

/** tf.moments' float32 mean and biased variance of one channel (0 for no rows, the sums of nothing). */
function moments(column: number[]): { mean: number; variance: number } {
  if (column.length === 0) return { mean: 0, variance: 0 };
  const mean = f(sum(column) / column.length);
  return { mean, variance: f(sum(column.map((v) => (v - mean) ** 2)) / column.length) };
}

/** Per channel: moments, 1 / sqrt(variance + epsilon), and a = max |x| + |mean|, which bounds |x - mean|. */
function channels(c: KernelCase) {
  const { x } = c.inputs;
  const count = x.shape[x.shape.length - 1];
  return columns(x.values, count).map((column, k) => {
    const { mean, variance } = moments(column);
    const invStd = 1 / Math.sqrt(variance + (c.attrs.epsilon as number));
    return { k, column, mean, variance, invStd, a: largest(column) + magnitude(mean) };
  });
}

/** [y, mean, variance]: y = beta + (x - mean) gamma / sqrt(variance + epsilon). */
export function batchNormForward64(c: KernelCase): Float64Reference {
  const { x, gamma, beta } = c.inputs;
  const stats = channels(c);
  const y = x.values.map((v, i) => {
    const { k, mean, invStd } = stats[i % stats.length];
    return beta.values[k] + (v - mean) * gamma.values[k] * invStd;
  });
  const yTerms = stats.map(({ k, a, invStd }) => magnitude(beta.values[k]) + a * magnitude(gamma.values[k] * invStd));
  return {
    outputs: [y, stats.map((s) => s.mean), stats.map((s) => s.variance)],
    scales: [largest(yTerms), largest(stats.map((s) => s.a)), largest(stats.map((s) => s.variance))],
  };
}

/**
 * [dx, dGamma, dBeta] of sum(y dy) + sum(mean dMean) + sum(variance dVariance), M rows, x^ = (x - mean) / std:
 * dBeta = sum(dy), dGamma = sum(dy x^), dx = gamma / (std M) (M dy - dBeta - x^ dGamma) + dMean / M
 * + 2 dVariance (x - mean) / M.
 */
export function batchNormBackward64(c: KernelCase): Float64Reference {
  const { x, gamma, dy, dMean, dVariance } = c.inputs;
  const stats = channels(c).map((s) => {
    const dys = columns(dy.values, gamma.values.length)[s.k];
    const absDy = sum(dys.map(magnitude));
    const dGammaTerms = s.invStd * absDy * s.a;
    return {
      ...s,
      dBeta: sum(dys),
      dGamma: sum(dys.map((d, r) => d * (s.column[r] - s.mean) * s.invStd)),
      absDy,
      dGammaTerms,
    };
  });
  const rows = x.values.length / Math.max(1, stats.length);
  const dx = x.values.map((v, i) => {
    const { k, mean, invStd, dBeta, dGamma } = stats[i % stats.length];
    const xHat = (v - mean) * invStd;
    const normalized = ((gamma.values[k] * invStd) / rows) * (rows * dy.values[i] - dBeta - xHat * dGamma);
    return normalized + dMean.values[k] / rows + (2 * dVariance.values[k] * (v - mean)) / rows;
  });
  const dxTerms = stats.map(({ k, a, invStd, absDy, dGammaTerms }) => {
    const perRow = (absDy + a * invStd * dGammaTerms) / rows;
    const g = magnitude(gamma.values[k] * invStd);
    return (
      g * (largest(columns(dy.values, stats.length)[k]) + perRow) +
      (magnitude(dMean.values[k]) + 2 * magnitude(dVariance.values[k]) * a) / rows
    );
  });
  return {
    outputs: [dx, stats.map((s) => s.dGamma), stats.map((s) => s.dBeta)],
    scales: [largest(dxTerms), largest(stats.map((s) => s.dGammaTerms)), largest(stats.map((s) => s.absDy))],
  };
}

/** Rows of logits and labels [rows, classes], with each row's log-sum-exp (its maximum subtracted first). */
function rowsOf(c: KernelCase) {
  const { labels, logits } = c.inputs;
  const [count, classes] = logits.shape;
  return Array.from({ length: count }, (_, r) => {
    const l = logits.values.slice(r * classes, (r + 1) * classes);
    const max = Math.max(...l);
    return {
      l,
      y: labels.values.slice(r * classes, (r + 1) * classes),
      lse: max + Math.log(sum(l.map((v) => Math.exp(v - max)))),
    };
  });
}

/** Index of the first maximum (NaN never wins). */
const argMax = (row: number[]) => row.reduce((best, v, j) => (v > row[best] ? j : best), 0);

/** [loss, correct]: mean over rows of -sum(labels (logits - lse)); rows whose arg-maxes agree. */
export function softmaxCrossEntropy64(c: KernelCase): Float64Reference {
  const rows = rowsOf(c);
  const loss = sum(rows.map(({ l, y, lse }) => -sum(y.map((t, j) => t * (l[j] - lse))))) / rows.length;
  const terms = sum(
    rows.map(({ l, y, lse }) => sum(y.map((t, j) => magnitude(t) * (magnitude(l[j]) + magnitude(lse))))),
  );
  const correct = rows.filter(({ l, y }) => argMax(l) === argMax(y)).length;
  return { outputs: [[loss], [correct]], scales: [largest([terms / rows.length]), 0] };
}

/** [dLogits] = dy / rows (softmax(logits) - labels). */
export function softmaxCrossEntropyGrad64(c: KernelCase): Float64Reference {
  const rows = rowsOf(c);
  const scale = c.inputs.dy.values[0] / rows.length;
  const dLogits = rows.flatMap(({ l, y, lse }) => l.map((v, j) => scale * (Math.exp(v - lse) - y[j])));
  return { outputs: [dLogits], scales: [largest([scale * (1 + largest(c.inputs.labels.values))])] };
}
