import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import type { ArrayBackend } from '../../src/kernels/kernel-call';
import { simdKernels } from '../../src/kernels/wasm/simd/instance';
import { runningSimdThreads, stopSimdThreads } from '../../src/kernels/wasm/simd/pool';
import { splitRange, threadsFor } from '../../src/kernels/wasm/simd/split';
import { MIN_PRODUCT_WORK } from '../../src/kernels/wasm/simd/threaded';
import { adamUpdate } from '../../src/ops/adam-update';
import { batchNormTraining } from '../../src/ops/batch-norm-training';

describe('kernel threads', function () {
  this.timeout(120_000);
  after(async () => {
    stopSimdThreads();
    await useBackend('wasm');
  });

  it('cuts work into ranges of whole tiles, the remainder last, never more parts than tiles', () => {
    expect(splitRange(10, 2, 4)).to.deep.equal([
      [0, 4],
      [4, 6],
    ]);
    expect(splitRange(16, 3, 4)).to.deep.equal([
      [0, 4],
      [4, 4],
      [8, 8],
    ]);
    expect(splitRange(3, 2, 4)).to.deep.equal([[0, 3]]);
    expect(splitRange(7, 4, 1)).to.deep.equal([
      [0, 1],
      [1, 2],
      [3, 2],
      [5, 2],
    ]);
    expect(threadsFor(100, 2, 64)).to.equal(1);
    expect(threadsFor(200, 2, 64)).to.equal(2);
    expect(threadsFor(1_000_000, 8, 1 << 18)).to.equal(3);
  });

  /**
   * Products (plain, transposed either side, past the 256 inner block), Adam, the 2x2 pool, ReLU,
   * the ReLU and 2x2 pool gradients, BatchNorm both ways, a convolution and its filter gradient.
   */
  function results(): Float32Array[] {
    const tensors = tf.tidy(() => {
      const r = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
      const a = r([203, 517], 1);
      const b = r([517, 130], 2);
      const products = [
        tf.matMul(a, b),
        tf.matMul(a, r([130, 517], 3), false, true),
        tf.matMul(r([517, 203], 4), b, true, false),
      ];
      const x = r([16, 64, 64, 32], 5);
      const pooled = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
      const pool = tf.grad((v: tf.Tensor) =>
        tf
          .maxPool(v as tf.Tensor4D, 2, 2, 'valid')
          .mul(r([16, 32, 32, 32], 6))
          .sum(),
      )(x);
      const reluX = r([2200000], 8);
      const relu = [
        tf.relu(reluX),
        tf.grad((v: tf.Tensor) =>
          tf
            .relu(v)
            .mul(r([2200000], 7))
            .sum(),
        )(reluX),
      ];
      const [p, g, m, v] = [9, 10, 11, 12].map((s) => r([2200001], s));
      const [accBeta1, accBeta2] = [tf.scalar(0.9 ** 3), tf.scalar(0.999 ** 3)];
      const adam = adamUpdate(
        { value: p, gradient: g, m, v: v.abs(), accBeta1, accBeta2 },
        { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      );
      // BatchNorm over 50176 rows of 48 channels: 196 blocks of sums, and the affine passes.
      const bnX = r([64, 28, 28, 48], 13);
      const [gamma, beta] = [r([48], 14) as tf.Tensor1D, r([48], 15) as tf.Tensor1D];
      const bn = batchNormTraining(bnX, gamma, beta, 1e-3);
      const weights = r([64, 28, 28, 48], 16);
      const bnGrads = tf.grads((xs: tf.Tensor, g: tf.Tensor) => {
        const out = batchNormTraining(xs, g as tf.Tensor1D, beta, 1e-3);
        return tf.addN([out.y.mul(weights).sum(), out.mean.sum(), out.variance.sum()]);
      })([bnX, gamma]);
      const bnResults = [bn.y, bn.mean, bn.variance, ...bnGrads];
      // A 3x3, 16 -> 32 channel convolution over 3200 output positions, and its filter gradient.
      const [convX, convW] = [r([8, 20, 20, 16], 17) as tf.Tensor4D, r([3, 3, 16, 32], 18) as tf.Tensor4D];
      const conv = tf.conv2d(convX, convW, 1, 'same');
      const convWeights = r([8, 20, 20, 32], 19);
      const filterGrad = tf.grad((f: tf.Tensor) =>
        tf
          .conv2d(convX, f as tf.Tensor4D, 1, 'same')
          .mul(convWeights)
          .sum(),
      )(convW);
      return [...products, pooled, pool, ...relu, ...adam, ...bnResults, conv, filterGrad];
    });
    // Read outside tidy: tidy walks what it returns looking for tensors, element by element through
    // typed arrays (20 s for these).
    const values = tensors.map((t) => t.dataSync() as Float32Array);
    tf.dispose(tensors);
    return values;
  }

  /**
   * Where two results first differ in their bits (or in length), or null: a byte comparison, as
   * chai's deep equality walks millions of elements one by one for a minute.
   */
  function firstDifference(a: Float32Array, b: Float32Array): string | null {
    const bytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (a.length === b.length && bytes(a).equals(bytes(b))) return null;
    const i = a.findIndex((v, j) => !Object.is(v, b[j]));
    return a.length !== b.length ? `length ${a.length} vs ${b.length}` : `element ${i}: ${a[i]} vs ${b[i]}`;
  }

  it('gives bit-identical results on 1, 2 and 3 threads, and runs the large calls on the kernel threads', async () => {
    await useBackend('wasm', { threads: 1 });
    const one = results();
    expect(runningSimdThreads()).to.equal(0);
    for (const threads of [2, 3]) {
      await useBackend('wasm', { threads });
      const many = results();
      expect(runningSimdThreads(), `threads ${threads}`).to.equal(threads - 1);
      many.forEach((values, i) =>
        expect(firstDifference(values, one[i]), `threads ${threads}, result ${i}`).to.equal(null),
      );
    }
  });

  it('keeps small work on the calling thread: a batch-1 product starts no kernel thread', async () => {
    await useBackend('wasm', { threads: 2 });
    stopSimdThreads();
    const [x, w] = [tf.randomNormal([1, 784]), tf.randomNormal([784, 256])];
    expect(784 * 256).to.be.below(2 * MIN_PRODUCT_WORK);
    tf.matMul(x, w).dispose();
    expect(runningSimdThreads()).to.equal(0);
    tf.dispose([x, w]);
    stopSimdThreads();
    expect(runningSimdThreads()).to.equal(0);
  });

  it('reports a failure in a kernel thread as an error naming the kernel, and goes on', async () => {
    await useBackend('wasm', { threads: 2 });
    const backend = tf.backend() as unknown as ArrayBackend;
    const simd = simdKernels(backend)!;
    const heap = backend.typedArrayFromHeap(tf.zeros([1])).buffer.byteLength;
    const [m, k, n] = [256, 256, 256];
    // The first half of the rows of c fits below the end of the heap, the second half does not:
    // whichever thread claims a chunk of it fails, the kernel thread reported by number.
    const c = heap - 4 * n * (m / 2);
    expect(() => simd.gemm(0, 0, c, m, k, n, k, 1, 0)).to.throw(
      /^(kernel thread 1 failed in gemm|gemm failed on the calling thread: .*out of bounds)/,
    );
    const y = tf.matMul(tf.ones([256, 256]), tf.ones([256, 256]));
    expect(y.dataSync()[0]).to.equal(256);
  });
});
