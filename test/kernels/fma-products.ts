// The products the FMA test computes in a process with relaxed SIMD and in one without
// (wasm-fma.test.ts): every path of the SIMD products (one row, tiled, dot products, a transposed
// left operand), and one product large enough to be split across two kernel threads.
import * as tf from '@tensorflow/tfjs';
import { seededValues } from '../helpers/kernel-reference';

/** [m, k, n, transposeA, transposeB] */
export const FMA_CASES: [number, number, number, boolean, boolean][] = [
  [1, 300, 13, false, false],
  [3, 40, 6, false, true],
  [13, 257, 17, false, false],
  [9, 1, 10, true, false],
  [21, 300, 11, false, true],
  [512, 784, 256, false, false],
];

/** Each case's product on the active backend, as plain arrays. */
export function fmaProducts(): number[][] {
  return FMA_CASES.map(([m, k, n, transposeA, transposeB], i) =>
    tf.tidy(() => {
      const a = tf.tensor(seededValues(m * k, 2 * i + 1), transposeA ? [k, m] : [m, k]);
      const b = tf.tensor(seededValues(k * n, 2 * i + 2), transposeB ? [n, k] : [k, n]);
      return Array.from(tf.matMul(a, b, transposeA, transposeB).dataSync());
    }),
  );
}
