import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../src/util/random';

/** Runs `make` on the cpu backend (the reference) and on wasm with batchlab's kernels; returns both results. */
async function onBoth(make: () => tf.Tensor): Promise<{ wasm: number[]; cpu: number[]; shape: number[] }> {
  const wasmResult = make();
  const wasm = Array.from(await wasmResult.data());
  const shape = wasmResult.shape;
  wasmResult.dispose();
  await tf.setBackend('cpu');
  try {
    const cpuResult = make();
    expect(cpuResult.shape).to.deep.equal(shape);
    const cpu = Array.from(await cpuResult.data());
    cpuResult.dispose();
    return { wasm, cpu, shape };
  } finally {
    await tf.setBackend('wasm');
  }
}

function maxRelativeError(actual: number[], expected: number[]): number {
  const scale = Math.max(1e-30, ...expected.map(Math.abs));
  return Math.max(0, ...actual.map((v, i) => Math.abs(v - expected[i]) / scale));
}

function seeded(shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1);
}

describe('wasm kernel pack', () => {
  beforeEach(() => expect(tf.getBackend()).to.equal('wasm'));

  describe('BatchMatMul with transposed operands', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[5, 3], [5, 4], true, false],
      [[3, 5], [4, 5], false, true],
      [[5, 3], [4, 5], true, true],
      [[2, 7, 3], [2, 7, 6], true, false],
      [[3, 4, 9], [3, 5, 9], false, true],
      [[1, 6, 5], [3, 4, 6], true, true],
    ];
    for (const [aShape, bShape, ta, tb] of cases) {
      it(`matches cpu for [${aShape.join()}] x [${bShape.join()}], transposeA ${ta}, transposeB ${tb}`, async () => {
        const { wasm, cpu } = await onBoth(() =>
          tf.tidy(() => tf.matMul(tf.tensor(seeded(aShape, 1), aShape), tf.tensor(seeded(bShape, 2), bShape), ta, tb)),
        );
        expect(maxRelativeError(wasm, cpu)).to.be.at.most(1e-5);
      });
    }
    it('releases its transposed copies (a batched product, so the copying path runs)', () => {
      const a = tf.tensor(seeded([2, 6, 4], 3), [2, 6, 4]);
      const backend = tf.backend() as unknown as { numDataIds(): number; disposeData(id: tf.DataId): boolean };
      const dispose = backend.disposeData.bind(backend);
      let released = 0;
      backend.disposeData = (id) => (released++, dispose(id));
      const before = backend.numDataIds();
      let product: tf.Tensor | undefined;
      try {
        product = tf.matMul(a, a, true, false);
      } finally {
        backend.disposeData = dispose;
      }
      expect(released, 'disposeData calls inside the kernel (the copy)').to.be.at.least(1);
      expect(backend.numDataIds(), 'only the product is left').to.equal(before + 1);
      product.dispose();
      expect(backend.numDataIds()).to.equal(before);
      a.dispose();
    });
  });

  describe('GatherV2 along axis 0', () => {
    it('matches cpu for image rows with repeated, unordered indices', async () => {
      const { wasm, cpu, shape } = await onBoth(() =>
        tf.tidy(() =>
          tf.gather(tf.tensor(seeded([7, 3, 2, 1], 4), [7, 3, 2, 1]), tf.tensor1d([6, 0, 3, 3, 1], 'int32')),
        ),
      );
      expect(shape).to.deep.equal([5, 3, 2, 1]);
      expect(wasm).to.deep.equal(cpu);
    });
    it('gathers int32 and 2-D index tensors', async () => {
      const { wasm, cpu, shape } = await onBoth(() =>
        tf.tidy(() =>
          tf.gather(
            tf.tensor2d(
              [
                [1, 2],
                [3, 4],
                [5, 6],
              ],
              [3, 2],
              'int32',
            ),
            tf.tensor2d(
              [
                [2, 0],
                [1, 1],
              ],
              [2, 2],
              'int32',
            ),
          ),
        ),
      );
      expect(shape).to.deep.equal([2, 2, 2]);
      expect(wasm).to.deep.equal(cpu);
    });
    it('leaves other axes to the stock kernel', async () => {
      const { wasm, cpu } = await onBoth(() =>
        tf.tidy(() => tf.gather(tf.tensor(seeded([4, 5], 5), [4, 5]), tf.tensor1d([4, 1], 'int32'), 1)),
      );
      expect(wasm).to.deep.equal(cpu);
    });
    it('rejects an index out of range', () => {
      const x = tf.zeros([3, 2]);
      const idx = tf.tensor1d([0, 3], 'int32');
      expect(() => tf.gather(x, idx)).to.throw(/index value 3 is not in \[0, 2\]/);
      tf.dispose([x, idx]);
    });
  });

  describe('Tile', () => {
    const cases: [number[], number[]][] = [
      [
        [1, 1, 1, 5],
        [4, 1, 1, 1],
      ],
      [
        [2, 3],
        [3, 2],
      ],
      [[3], [4]],
      [
        [2, 1, 3],
        [1, 5, 2],
      ],
      [
        [1, 2, 2, 3],
        [2, 3, 1, 2],
      ],
    ];
    for (const [shape, reps] of cases) {
      it(`matches cpu for [${shape.join()}] tiled [${reps.join()}]`, async () => {
        const { wasm, cpu } = await onBoth(() => tf.tidy(() => tf.tile(tf.tensor(seeded(shape, 6), shape), reps)));
        expect(wasm).to.deep.equal(cpu);
      });
    }
    it('tiles bool and int32 tensors', async () => {
      const bools = await onBoth(() => tf.tidy(() => tf.tile(tf.tensor2d([[true, false]], [1, 2], 'bool'), [2, 2])));
      expect(bools.wasm).to.deep.equal([1, 0, 1, 0, 1, 0, 1, 0]);
      const ints = await onBoth(() => tf.tidy(() => tf.tile(tf.tensor1d([7, 8], 'int32'), [3])));
      expect(ints.wasm).to.deep.equal([7, 8, 7, 8, 7, 8]);
    });
  });
});

describe('Identity on wasm', () => {
  it('shares the buffer: a clone adds no data buffer and outlives its source', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const buffers = tf.memory().numDataBuffers;
    const copy = tf.clone(x);
    expect(tf.memory().numDataBuffers).to.equal(buffers);
    x.dispose();
    expect(Array.from(await copy.data())).to.deep.equal([1, 2, 3]);
    copy.dispose();
  });

  it('keeps gradients right when the tape clones saved inputs', async () => {
    const { wasm, cpu } = await onBoth(() =>
      tf.tidy(() => {
        const x = tf.tensor2d([
          [1, -2],
          [3, 4],
        ]);
        return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(v), tf.relu(v))))(x);
      }),
    );
    expect(wasm).to.deep.equal(cpu);
  });
});
