import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { compileKernels, committedModuleSource, moduleSource } from '../../scripts/build-simd';
import { simdKernels } from '../../src/backend/wasm-kernels/simd/instance';
import type { WasmHeapBackend } from '../../src/backend/wasm-kernels/heap-backend';

describe('SIMD kernel module', () => {
  it('committed kernels-wasm.ts is the build of kernels.wat (run npm run build:simd after editing it)', async () => {
    expect(committedModuleSource()).to.equal(moduleSource(await compileKernels()));
  });

  it("instantiates on the wasm backend's memory, once per memory", () => {
    const backend = tf.backend() as unknown as WasmHeapBackend;
    const kernels = simdKernels(backend);
    expect(kernels).to.not.equal(null);
    expect(simdKernels(backend)).to.equal(kernels);
  });

  it('sums channels in place on the heap: colSums adds each column into acc', () => {
    const backend = tf.backend() as unknown as WasmHeapBackend;
    const x = tf.tensor2d([[1, 2, 3, 4], [10, 20, 30, 40], [100, 200, 300, 400]]);
    const acc = tf.tensor1d([0.5, 0, 0, -1]);
    const address = (t: tf.Tensor) => backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }).byteOffset;
    simdKernels(backend)!.colSums(address(x), 3, 4, address(acc));
    expect(Array.from(acc.dataSync())).to.deep.equal([111.5, 222, 333, 443]);
    tf.dispose([x, acc]);
  });
});
