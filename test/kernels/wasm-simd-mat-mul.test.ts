// batchlab's SIMD matrix products on wasm (tiled, and one row at a time below 4 rows) against the
// cpu backend, on sizes that cover full tiles, edge rows and columns, and short inner dimensions.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { simdMatMul } from '../../src/kernels/wasm/simd-mat-mul';
import type { ArrayBackend } from '../../src/kernels/kernel-call';
import { onBackend, relativeError, seededValues } from '../helpers/kernel-reference';

const tensorOf = (shape: number[], seed: number) =>
  tf.tensor(
    seededValues(
      shape.reduce((p, q) => p * q, 1),
      seed,
    ),
    shape,
  );

/** [rows of op(a), inner, columns]: tiles are 4 x 8 (4 x 2 with b transposed); these straddle them. */
// An inner length of 600 is three blocks of K_BLOCK (256) added into c, edge rows and columns included.
const SIZES: [number, number, number][] = [
  [1, 7, 13],
  [3, 9, 6],
  [4, 5, 8],
  [5, 33, 17],
  [9, 1, 10],
  [12, 16, 1],
  [13, 4, 3],
  [6, 600, 11],
];

describe('SIMD matrix products (wasm)', () => {
  for (const [m, k, n] of SIZES) {
    for (const [transposeA, transposeB] of [
      [false, false],
      [true, false],
      [false, true],
    ]) {
      const aShape = transposeA ? [k, m] : [m, k];
      const bShape = transposeB ? [n, k] : [k, n];
      it(`[${aShape.join()}]${transposeA ? '^T' : ''} x [${bShape.join()}]${transposeB ? '^T' : ''} matches cpu`, async () => {
        const run = () =>
          tf.tidy(() => tf.matMul(tensorOf(aShape, 1), tensorOf(bShape, 2), transposeA, transposeB).dataSync());
        const expected = await onBackend('cpu', run);
        expect(relativeError(run(), expected)).to.be.below(1e-5);
      });
    }
  }

  it('takes rank-2 and unit-batch rank-3 products, and leaves batched and doubly transposed ones to tfjs', () => {
    const backend = tf.backend() as unknown as ArrayBackend;
    const [a2, b2, a3, b3, batched] = [
      tensorOf([5, 8], 1),
      tensorOf([8, 3], 2),
      tensorOf([1, 5, 8], 3),
      tensorOf([1, 8, 3], 4),
      tensorOf([2, 5, 8], 5),
    ];
    const taken = [simdMatMul(backend, a2, b2, false, false), simdMatMul(backend, a3, b3, false, false)];
    expect(taken.map((t) => t?.shape)).to.deep.equal([
      [5, 3],
      [1, 5, 3],
    ]);
    expect(simdMatMul(backend, batched, b3, false, false)).to.equal(null);
    expect(simdMatMul(backend, b2, a2, true, true)).to.equal(null);
    taken.forEach((t) => tf.engine().makeTensorFromTensorInfo(t!).dispose());
    tf.dispose([a2, b2, a3, b3, batched]);
  });

  for (const activation of ['linear', 'relu'] as const) {
    for (const rows of [1, 6]) {
      it(`fused matMul with bias and ${activation}, ${rows} rows, matches cpu`, async () => {
        const run = () =>
          tf.tidy(() =>
            tf.fused
              .matMul({
                a: tensorOf([1, rows, 10], 3),
                b: tensorOf([1, 10, 11], 4),
                bias: tensorOf([11], 5),
                activation,
              })
              .dataSync(),
          );
        const expected = await onBackend('cpu', run);
        expect(relativeError(run(), expected)).to.be.below(1e-5);
        if (activation === 'relu') expect(Array.from(expected).some((v) => v === 0)).to.equal(true);
      });
    }
  }

  for (const batch of [1, 6]) {
    it(`dense gradients at batch size ${batch} match cpu (x W forward, dy W^T and x^T dy backward)`, async () => {
      const run = () =>
        tf.tidy(() => {
          const [x, w] = [tensorOf([batch, 13], 6), tensorOf([13, 9], 7)];
          const f = (xs: tf.Tensor, ws: tf.Tensor) =>
            tf.sum(tf.mul(tf.relu(tf.matMul(xs, ws)), tensorOf([batch, 9], 8)));
          const [dx, dw] = tf.grads(f)([x, w]);
          return [...dx.dataSync(), ...dw.dataSync()];
        });
      const expected = await onBackend('cpu', run);
      expect(relativeError(run(), expected)).to.be.below(1e-5);
    });
  }
});
