import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { compileKernels, committedModuleSource, moduleSource, sharedMemoryVariant } from '../../scripts/build-simd';
import { compiledModules, simdKernels } from '../../src/kernels/wasm/simd/instance';
import type { ArrayBackend } from '../../src/kernels/kernel-call';
import { heapAddress as address } from '../helpers/kernel-reference';

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
    simdKernels(backend)!.colSums(address(x), 3, 4, address(acc));
    expect(Array.from(acc.dataSync())).to.deep.equal([111.5, 222, 333, 443]);
    tf.dispose([x, acc]);
  });

  // The sums keep groups of channels in registers (16 channels, 8 for the gradient's pair) and the
  // rest one vector at a time: widths that fill no group, one group, a group and a rest. Each
  // channel must still add its rows in order into what acc held, float32 step by float32 step.
  for (const c of [4, 8, 12, 16, 20, 36]) {
    it(`adds each channel's rows in order in the sums, ${c} channels`, () => {
      const backend = tf.backend() as unknown as ArrayBackend;
      const kernels = simdKernels(backend)!;
      const rows = 7;
      const values = (n: number, seed: number) =>
        Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.7) * 3);
      const [x, dy, mean, acc, acc2] = [
        values(rows * c, 1),
        values(rows * c, 2),
        values(c, 3),
        values(c, 4),
        values(c, 5),
      ].map((v) => tf.tensor1d(v));
      const read = (t: tf.Tensor) => Array.from(t.dataSync());
      /** start[j] + term(r, j) over the rows in order, rounded to float32 at every step. */
      const inOrder = (start: number[], term: (r: number, j: number) => number) =>
        start.map((s, j) => {
          let sum = s;
          for (let r = 0; r < rows; r++) sum = Math.fround(sum + Math.fround(term(r, j)));
          return sum;
        });
      const [xs, dys, means] = [read(x), read(dy), read(mean)];
      const centred = (r: number, j: number) => Math.fround(xs[r * c + j] - means[j]);

      const start = read(acc);
      kernels.colSums(address(x), rows, c, address(acc));
      expect(read(acc)).to.deep.equal(inOrder(start, (r, j) => xs[r * c + j]));

      const start2 = read(acc);
      kernels.colCentredSquares(address(x), rows, c, address(mean), address(acc));
      expect(read(acc)).to.deep.equal(inOrder(start2, (r, j) => centred(r, j) * centred(r, j)));

      const [startDy, startDyXc] = [read(acc), read(acc2)];
      kernels.colGradSums(address(dy), address(x), rows, c, address(mean), address(acc), address(acc2));
      expect(read(acc)).to.deep.equal(inOrder(startDy, (r, j) => dys[r * c + j]));
      expect(read(acc2)).to.deep.equal(inOrder(startDyXc, (r, j) => dys[r * c + j] * centred(r, j)));
      tf.dispose([x, dy, mean, acc, acc2]);
    });
  }
});
