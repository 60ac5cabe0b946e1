// Helpers for comparing kernels on wasm with the cpu backend's reference results.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { createRng, gaussian } from '../../src/util/random';
import type { ArrayBackend } from '../../src/kernels/kernel-call';

/** A 4-D shape, as conv2d's input, filter and output have. */
export type Shape4 = [number, number, number, number];
export type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

/** A named channels-last convolution to compare: its input and filter shapes, strides and padding. */
export interface ConvCase {
  name: string;
  xShape: Shape4;
  filterShape: Shape4;
  strides: [number, number];
  pad: Pad;
}

/** A tensor's byte offset in the active wasm backend's heap, where batchlab's SIMD kernels take it. */
export function heapAddress(t: tf.Tensor): number {
  const backend = tf.backend() as unknown as ArrayBackend;
  return backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }).byteOffset;
}

export function seededValues(size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => gaussian(rng));
}

/** max |actual - expected| / max |expected|. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).to.equal(expected.length);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxDiff / maxRef;
}

/** Runs `fn` on `backend`, always switching back to wasm afterwards. */
export async function onBackend<T>(backend: string, fn: () => T | Promise<T>): Promise<T> {
  await tf.setBackend(backend);
  try {
    return await fn();
  } finally {
    await tf.setBackend('wasm');
  }
}
