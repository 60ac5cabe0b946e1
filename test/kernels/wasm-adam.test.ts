import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { FusedAdamFlushingSubnormals } from '../../src/training/flush-denormals';
import { ADAM_UPDATE, hasFusedAdamUpdate } from '../../src/ops/adam-update';
import { seededValues } from '../helpers/kernel-reference';
import { afterUpdates } from '../helpers/adam-updates';
import type { ArrayBackend } from '../../src/kernels/kernel-call';

describe('fused Adam update (wasm)', () => {
  it('is registered with the kernel pack', () => {
    expect(hasFusedAdamUpdate()).to.equal(true);
  });

  it("FusedAdamFlushingSubnormals's fused updates equal tfjs' AdamOptimizer bit for bit, moments and iteration count included", async () => {
    const fused = await afterUpdates(new FusedAdamFlushingSubnormals(0.01, 0.9, 0.999), 5);
    const stock = await afterUpdates(tf.train.adam(0.01, 0.9, 0.999), 5);
    expect(fused).to.deep.equal(stock);
  });

  it('stays equal to AdamOptimizer bit for bit once 1 - beta^t rounds to 1 in float32 (the kernel then skips those divisions)', async () => {
    // The first update at which 1 - beta^t is 1, beta^t kept in float32 as the optimizer keeps it.
    const firstUnit = (beta: number) => {
      let power = 1;
      for (let t = 1; ; t++) if (Math.fround(1 - (power = Math.fround(power * Math.fround(beta)))) === 1) return t;
    };
    // Both corrections divide, then only the second, then neither.
    expect([firstUnit(0.5), firstUnit(0.9)]).to.deep.equal([25, 165]);
    const fused = await afterUpdates(new FusedAdamFlushingSubnormals(0.01, 0.5, 0.9), 170);
    const stock = await afterUpdates(tf.train.adam(0.01, 0.5, 0.9), 170);
    expect(fused).to.deep.equal(stock);
  });

  it('the TypeScript fallback (no SIMD) gives the same bits as the SIMD kernel', () => {
    const kernel = tf.getKernel(ADAM_UPDATE, 'wasm');
    const backend = tf.backend() as unknown as ArrayBackend;
    // Without the Emscripten module in view, the kernel cannot find the memory for its SIMD module.
    const noSimd = {
      makeOutput: backend.makeOutput.bind(backend),
      typedArrayFromHeap: backend.typedArrayFromHeap.bind(backend),
    };
    const n = 23;
    const inputs = {
      value: tf.tensor1d(seededValues(n, 1)),
      gradient: tf.tensor1d(seededValues(n, 2)),
      m: tf.tensor1d(seededValues(n, 3)),
      v: tf.tensor1d(seededValues(n, 4).map(Math.abs)),
      accBeta1: tf.scalar(0.9 ** 3),
      accBeta2: tf.scalar(0.999 ** 3),
    };
    const attrs = { learningRate: 0.003, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    const run = (b: unknown) =>
      (kernel.kernelFunc({ inputs, backend: b as tf.KernelBackend, attrs }) as tf.TensorInfo[]).map((info) =>
        tf.engine().makeTensorFromTensorInfo(info),
      );
    const simd = run(backend);
    const loop = run(noSimd);
    simd.forEach((t, i) => expect(Array.from(loop[i].dataSync())).to.deep.equal(Array.from(t.dataSync())));
    tf.dispose([...simd, ...loop, ...Object.values(inputs)]);
  });
});
