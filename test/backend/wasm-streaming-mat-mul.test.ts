// The streaming products for few rows or a short inner dimension (batch size 1) on wasm, against the
// cpu backend, and a check that they (not XNNPACK) ran.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { STREAMING_MAX, streamingMatMul } from '../../src/backend/wasm-kernels/streaming-mat-mul';
import type { WasmHeapBackend } from '../../src/backend/wasm-kernels/heap-backend';
import { onBackend, relativeError, seededValues } from '../helpers/kernel-reference';

type Case = { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean };

// Row counts 1 to STREAMING_MAX, inner and outer sizes off multiples of 4, both transposes, ranks 2 and 3.
const CASES: Case[] = [
  { a: [1, 7], b: [7, 13], transposeA: false, transposeB: false },
  { a: [1, 3, 9], b: [1, 9, 6], transposeA: false, transposeB: false },
  { a: [1, 2, 33], b: [1, 5, 33], transposeA: false, transposeB: true },
  { a: [1, 1, 11], b: [1, 1, 7], transposeA: true, transposeB: false },
  { a: [3, 10], b: [3, 5], transposeA: true, transposeB: false },
  { a: [9, 2], b: [2, 6], transposeA: false, transposeB: false },
];

const tensorOf = (shape: number[], seed: number) => tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed), shape);

describe('streaming matrix products (wasm, batch size 1)', () => {
  for (const c of CASES) {
    it(`matMul [${c.a}]${c.transposeA ? '^T' : ''} x [${c.b}]${c.transposeB ? '^T' : ''} matches cpu and streams`, async () => {
      const run = () => tf.tidy(() => tf.matMul(tensorOf(c.a, 1), tensorOf(c.b, 2), c.transposeA, c.transposeB).dataSync());
      const expected = await onBackend('cpu', run);
      expect(relativeError(run(), expected)).to.be.below(1e-5);
      const [a, b] = [tensorOf(c.a, 1), tensorOf(c.b, 2)];
      const streamed = streamingMatMul(tf.backend() as unknown as WasmHeapBackend, a, b, c.transposeA, c.transposeB);
      expect(streamed, 'took the streaming path').to.not.equal(null);
      tf.engine().makeTensorFromTensorInfo(streamed!).dispose();
      tf.dispose([a, b]);
    });
  }

  it(`leaves ${STREAMING_MAX + 1} rows with a longer inner dimension, and batched products, to XNNPACK`, () => {
    const backend = tf.backend() as unknown as WasmHeapBackend;
    const [a, b, batched] = [tensorOf([STREAMING_MAX + 1, 8], 1), tensorOf([8, 3], 2), tensorOf([2, 1, 8], 3)];
    expect(streamingMatMul(backend, a, b, false, false)).to.equal(null);
    expect(streamingMatMul(backend, batched, b, false, false)).to.equal(null);
    tf.dispose([a, b, batched]);
  });

  for (const activation of ['linear', 'relu'] as const) {
    it(`fused matMul with bias and ${activation} on one row matches cpu`, async () => {
      const run = () => tf.tidy(() => tf.fused.matMul({
        a: tensorOf([1, 1, 10], 3), b: tensorOf([1, 10, 7], 4), bias: tensorOf([7], 5), activation,
      }).dataSync());
      const expected = await onBackend('cpu', run);
      expect(relativeError(run(), expected)).to.be.below(1e-5);
      if (activation === 'relu') expect(Array.from(expected).some((v) => v === 0)).to.equal(true);
    });
  }

  it('dense gradients at batch size 1 match cpu (x W forward, dy W^T and x^T dy backward)', async () => {
    const run = () => tf.tidy(() => {
      const [x, w] = [tensorOf([1, 13], 6), tensorOf([13, 9], 7)];
      const f = (xs: tf.Tensor, ws: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.matMul(xs, ws)), tensorOf([1, 9], 8)));
      const [dx, dw] = tf.grads(f)([x, w]);
      return [...dx.dataSync(), ...dw.dataSync()];
    });
    const expected = await onBackend('cpu', run);
    expect(relativeError(run(), expected)).to.be.below(1e-5);
  });
});
