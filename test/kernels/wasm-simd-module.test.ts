import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { compileKernels, committedModuleSource, moduleSource, sharedMemoryVariant } from '../../scripts/build-simd';
import { compiledModules, simdKernels } from '../../src/kernels/wasm/simd/instance';
import type { ArrayBackend } from '../../src/kernels/kernel-call';

describe('SIMD kernel module', () => {
  it('committed kernels-wasm.ts is the build of the .wat files (run npm run build:simd after editing one)', async () => {
    expect(committedModuleSource()).to.equal(moduleSource(await compileKernels()));
  });

  it("has a shared-memory variant of each module for tfjs' threaded build, and only that one links to a shared memory", () => {
    const wat = ';; k\n(module\n  (import "env" "memory" (memory 1))\n  (func))';
    expect(sharedMemoryVariant(wat)).to.equal(
      ';; k\n(module\n  (import "env" "memory" (memory 1 65536 shared))\n  (func))',
    );
    expect(() => sharedMemoryVariant('(module (memory 1))', 'x.wat')).to.throw(
      'x.wat does not import its memory as (import "env" "memory" (memory 1))',
    );
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const link = (m: WebAssembly.Module) => new WebAssembly.Instance(m, { env: { memory: shared } });
    const [plain, threaded] = [false, true].map((s) => compiledModules(s) as unknown as WebAssembly.Module[]);
    expect(threaded).to.have.length(plain.length);
    threaded.forEach((m) => expect(() => link(m)).not.to.throw());
    plain.forEach((m) => expect(() => link(m)).to.throw(WebAssembly.LinkError));
  });

  it("instantiates on the wasm backend's memory, once per memory", () => {
    const backend = tf.backend() as unknown as ArrayBackend;
    const kernels = simdKernels(backend);
    expect(kernels).to.not.equal(null);
    expect(simdKernels(backend)).to.equal(kernels);
  });

  it('sums channels in place on the heap: colSums adds each column into acc', () => {
    const backend = tf.backend() as unknown as ArrayBackend;
    const x = tf.tensor2d([
      [1, 2, 3, 4],
      [10, 20, 30, 40],
      [100, 200, 300, 400],
    ]);
    const acc = tf.tensor1d([0.5, 0, 0, -1]);
    const address = (t: tf.Tensor) =>
      backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }).byteOffset;
    simdKernels(backend)!.colSums(address(x), 3, 4, address(acc));
    expect(Array.from(acc.dataSync())).to.deep.equal([111.5, 222, 333, 443]);
    tf.dispose([x, acc]);
  });
});
