import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../src/util/random';
import { leadingAxisCount } from '../../src/kernels/wasm/leading-reduce';

/** Runs `make` on the cpu backend (the reference) and on wasm with batchlab's kernels; returns both results, read by `read`. */
async function onBoth(
  make: () => tf.Tensor,
  read: (t: tf.Tensor) => Promise<number[]> = async (t) => Array.from(await t.data()),
): Promise<{ wasm: number[]; cpu: number[]; shape: number[]; dtype: string }> {
  const wasmResult = make();
  const { shape, dtype } = wasmResult;
  const wasm = await read(wasmResult);
  wasmResult.dispose();
  await tf.setBackend('cpu');
  try {
    const cpuResult = make();
    expect(cpuResult.shape).to.deep.equal(shape);
    expect(cpuResult.dtype).to.equal(dtype);
    const cpu = await read(cpuResult);
    cpuResult.dispose();
    return { wasm, cpu, shape, dtype };
  } finally {
    await tf.setBackend('wasm');
  }
}

function maxRelativeError(actual: number[], expected: number[]): number {
  const scale = Math.max(1e-30, ...expected.map(Math.abs));
  return Math.max(0, ...actual.map((v, i) => Math.abs(v - expected[i]) / scale));
}

/** Uniform values in [-1, 1), rounded to `step` when given (so that windows hold repeated maxima). */
function seeded(shape: number[], seed: number, step = 0): Float32Array {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, () =>
    step > 0 ? Math.round((rng() * 2 - 1) / step) * step : rng() * 2 - 1,
  );
}

/** dx of maxPool at x (shape [3,7,5,3] unless given) for a seeded dy: the MaxPoolGrad kernel. */
function maxPoolDx(
  values: Float32Array,
  filter: number,
  stride: number,
  pad: 'valid' | 'same' | number,
  shape = [3, 7, 5, 3],
): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.tensor4d(values, shape as [number, number, number, number]);
    const pool = (t: tf.Tensor): tf.Tensor =>
      tf.maxPool(t as tf.Tensor4D, filter, stride, pad, typeof pad === 'number' ? 'floor' : undefined);
    const y = pool(x);
    return tf.grad(pool)(x, tf.tensor(seeded(y.shape, 9), y.shape));
  });
}

/** Bit patterns of two NaNs the arg-max must skip: the usual quiet NaN and one with the sign bit set. */
const NAN_BITS = [0x7fc00000, 0xffc00001 | 0];

/**
 * Seeded values on a 0.5 grid (so that windows hold ties) with about a third replaced by the
 * values the tie rule must treat exactly: +0, -0, +-Infinity and NaNs of both signs.
 */
function withSpecials(shape: number[], seed: number): Float32Array {
  const values = seeded(shape, seed, 0.5);
  const bits = new Int32Array(values.buffer);
  const rng = createRng(seed + 1000);
  const specials = [0, -0, Infinity, -Infinity];
  for (let i = 0; i < values.length; i++) {
    if (rng() >= 0.3) continue;
    const pick = Math.floor(rng() * (specials.length + NAN_BITS.length));
    if (pick < specials.length) values[i] = specials[pick];
    else bits[i] = NAN_BITS[pick - specials.length];
  }
  return values;
}

/**
 * A float32 tensor's values as bit patterns, so that -0 and NaN payloads count (a number[] would
 * lose NaN signs: V8 canonicalises NaNs in double arrays).
 */
async function float32Bits(t: tf.Tensor): Promise<number[]> {
  const values = (await t.data()) as Float32Array;
  return Array.from(new Int32Array(values.buffer, values.byteOffset, values.length));
}

/** MaxPoolGrad through runKernel, with dy given (any values, -0 and NaN included). */
function runMaxPoolGrad(
  values: Float32Array,
  shape: number[],
  dyValues: (size: number) => Float32Array,
  pool: PoolCase,
): tf.Tensor {
  return tf.tidy(() => {
    const [filterSize, strides, pad] = pool;
    const x = tf.tensor4d(values, shape as [number, number, number, number]);
    const dimRoundingMode = typeof pad === 'number' ? 'floor' : undefined;
    const y = tf.maxPool(x, filterSize, strides, pad, dimRoundingMode);
    const dy = tf.tensor(dyValues(y.size), y.shape);
    const attrs = { filterSize, strides, pad, dimRoundingMode };
    return tf
      .engine()
      .runKernel<tf.Tensor>('MaxPoolGrad', { dy, input: x, output: y }, attrs as unknown as tf.NamedAttrMap);
  });
}

type PoolCase = [number, number, 'valid' | 'same' | number];

describe('wasm reductions and max-pool gradient', () => {
  beforeEach(() => expect(tf.getBackend()).to.equal('wasm'));

  describe('MaxPoolGrad', () => {
    const pools: [number, number, 'valid' | 'same' | number][] = [
      [2, 2, 'valid'],
      [3, 2, 'same'],
      [3, 1, 'same'],
      [3, 1, 'valid'],
      [3, 2, 1],
    ];
    const inputs: [string, Float32Array][] = [
      ['ReLU output (all-zero windows)', seeded([3, 7, 5, 3], 1).map((v) => Math.max(0, v))],
      ['repeated maxima', seeded([3, 7, 5, 3], 2, 0.5)],
      ['all zeros', new Float32Array(3 * 7 * 5 * 3)],
    ];
    for (const [filter, stride, pad] of pools) {
      for (const [name, values] of inputs) {
        it(`equals cpu exactly for a ${filter}x${filter} pool, stride ${stride}, pad ${pad}: ${name}`, async () => {
          const { wasm, cpu } = await onBoth(() => maxPoolDx(values, filter, stride, pad));
          expect(wasm).to.deep.equal(cpu);
        });
      }
    }

    // Strides below, equal to and above the window; padding valid, same and explicit; 1x1 and 2x2
    // windows (the unrolled path) next to 3x3 ones; shapes with odd sides, batch > 1, 1 and 16 channels.
    const morePools: PoolCase[] = [
      [1, 1, 'valid'],
      [2, 1, 'valid'],
      [2, 2, 'valid'],
      [2, 2, 'same'],
      [2, 3, 'valid'],
      [2, 3, 'same'],
      [3, 1, 'same'],
      [3, 2, 'same'],
      [3, 3, 'same'],
      [3, 4, 'same'],
      [3, 2, 1],
    ];
    const shapes = [
      [3, 7, 5, 3],
      [2, 6, 9, 16],
      [1, 5, 4, 1],
      [2, 2, 2, 2],
    ];
    for (const pool of morePools) {
      it(`equals cpu bit for bit with NaN, +-Infinity and -0 in x and dy: ${pool[0]}x${pool[0]} pool, stride ${pool[1]}, pad ${pool[2]}`, async () => {
        for (const [i, shape] of shapes.entries()) {
          const dyValues = (size: number): Float32Array =>
            withSpecials([size], 50 + i).map((v, j) => (j % 7 === 0 ? -0 : v));
          const { wasm, cpu } = await onBoth(
            () => runMaxPoolGrad(withSpecials(shape, 20 + i), shape, dyValues, pool),
            float32Bits,
          );
          expect(wasm, JSON.stringify(shape)).to.deep.equal(cpu);
        }
      });
    }

    it('routes each 2x2 window like cpu for every order of tied, signed-zero and special values', async () => {
      // All 4^4 windows over {-0, +0, 1, NaN} and over {-Infinity, 1, +Infinity, NaN} side by side.
      const windows = (alphabet: number[]): number[] =>
        Array.from({ length: 256 }, (_, w) => [0, 1, 2, 3].map((k) => alphabet[(w >> (2 * k)) & 3])).flat();
      const grid = (values: number[]): number[] => {
        // Window w occupies rows 2*floor(w/16)..+1 and columns 2*(w%16)..+1 of a 32x32 image.
        const image = new Array<number>(32 * 32);
        for (let i = 0; i < values.length; i++) {
          const w = Math.floor(i / 4);
          const k = i % 4;
          image[(2 * Math.floor(w / 16) + (k >> 1)) * 32 + 2 * (w % 16) + (k & 1)] = values[i];
        }
        return image;
      };
      const x = Float32Array.from([...grid(windows([-0, 0, 1, NaN])), ...grid(windows([-Infinity, 1, Infinity, NaN]))]);
      const ones = (size: number): Float32Array => new Float32Array(size).fill(1);
      const { wasm, cpu } = await onBoth(() => runMaxPoolGrad(x, [2, 32, 32, 1], ones, [2, 2, 'valid']), float32Bits);
      expect(wasm).to.deep.equal(cpu);
      // The same windows four channels deep, which the SIMD kernel takes, with -0 and NaN in dy.
      const image = (g: number) => x.subarray(g * 1024, (g + 1) * 1024);
      const deep = Float32Array.from({ length: 4096 }, (_, i) => image(i % 4 === 0 || i % 4 === 3 ? 0 : 1)[i >> 2]);
      const signs = (size: number): Float32Array =>
        Float32Array.from({ length: size }, (_, i) => [1, -0, -2, NaN][i % 4]);
      const both = await onBoth(() => runMaxPoolGrad(deep, [1, 32, 32, 4], signs, [2, 2, 'valid']), float32Bits);
      expect(both.wasm).to.deep.equal(both.cpu);
    });

    it("MaxPool takes each 2x2 window's maximum like cpu, bit for bit, for every order of tied, signed-zero and special values", async () => {
      // The windows above, four channels deep (batchlab's SIMD pool), and cut to odd sides, whose
      // last row and column no window reads.
      const windows = (alphabet: number[]): number[] =>
        Array.from({ length: 256 }, (_, w) => [0, 1, 2, 3].map((k) => alphabet[(w >> (2 * k)) & 3])).flat();
      const values = [...windows([-0, 0, 1, NaN]), ...windows([-Infinity, 1, Infinity, NaN])];
      const image = Float32Array.from({ length: 32 * 32 * 4 }, (_, i) => {
        const [pixel, channel] = [i >> 2, i % 4];
        const [row, col] = [Math.floor(pixel / 32), pixel % 32];
        const w = Math.floor(row / 2) * 16 + Math.floor(col / 2);
        return values[(channel % 2) * 1024 + w * 4 + (row % 2) * 2 + (col % 2)];
      });
      for (const [height, width] of [
        [32, 32],
        [31, 29],
      ]) {
        const x = image.subarray(0, height * width * 4);
        const pool = () => tf.maxPool(tf.tensor4d(x, [1, height, width, 4]), 2, 2, 'valid');
        const { wasm, cpu } = await onBoth(() => tf.tidy(pool), float32Bits);
        expect(wasm, `${height}x${width}`).to.deep.equal(cpu);
      }
    });

    it("sends every tie to the window's first pixel in row-major order, as cpu does", async () => {
      const { wasm, cpu } = await onBoth(() =>
        tf.tidy(() => {
          const x = tf.tensor4d([2, 2, 0, 0, 2, 2, 0, 0, 0, 0, 7, 7], [1, 3, 4, 1]);
          return tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'))(
            x,
            tf.tensor4d([1, 2], [1, 1, 2, 1]),
          );
        }),
      );
      expect(wasm).to.deep.equal(cpu);
      expect(wasm).to.deep.equal([1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    });

    it("sums overlapping windows' gradients before rounding to float32, as cpu does", async () => {
      // Four windows route to pixel (0,0): 1 + 2^-24 + 2^-24 + 0 is 1 + 2^-23 exactly, but 1 in float32 steps.
      const tiny = 2 ** -24;
      const { wasm, cpu } = await onBoth(() =>
        tf.tidy(() =>
          tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 3, 1, 'same'))(
            tf.zeros([1, 3, 3, 1]),
            tf.tensor4d([1, tiny, 0, tiny, 0, 0, 0, 0, 0], [1, 3, 3, 1]),
          ),
        ),
      );
      expect(wasm).to.deep.equal(cpu);
      expect(wasm[0]).to.equal(1 + 2 ** -23);
    });

    it('skips NaN and routes nothing from an all -Infinity window, as cpu does', async () => {
      const { wasm, cpu } = await onBoth(() =>
        tf.tidy(() => {
          const x = tf.tensor4d([NaN, NaN, -Infinity, -Infinity, NaN, 3, -Infinity, -Infinity], [1, 2, 4, 1]);
          return tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'))(
            x,
            tf.tensor4d([1, 2], [1, 1, 2, 1]),
          );
        }),
      );
      expect(wasm).to.deep.equal(cpu);
      expect(wasm).to.deep.equal([0, 0, 0, 0, 0, 1, 0, 0]);
    });
  });

  describe('Sum and Mean over leading axes', () => {
    const shape = [3, 7, 5, 3];
    const axes: (number | number[] | null)[] = [
      0,
      [0],
      [0, 1],
      [1, 0],
      [0, 1, 2],
      [-4, -3],
      -4,
      null,
      [1, 2],
      [0, 2],
      3,
    ];
    for (const [name, reduce] of [
      ['Sum', tf.sum],
      ['Mean', tf.mean],
    ] as const) {
      for (const axis of axes) {
        for (const keepDims of [false, true]) {
          it(`${name} over ${JSON.stringify(axis)}, keepDims ${keepDims}, matches cpu to 1e-5`, async () => {
            const { wasm, cpu } = await onBoth(() =>
              tf.tidy(() => reduce(tf.tensor(seeded(shape, 3), shape), axis ?? undefined, keepDims)),
            );
            expect(maxRelativeError(wasm, cpu)).to.be.at.most(1e-5);
          });
        }
      }
    }

    it('sums many rows, over several blocks and a partial one, to 1e-5', async () => {
      const big = [2, 5001, 3];
      for (const reduce of [tf.sum, tf.mean]) {
        const { wasm, cpu } = await onBoth(() => tf.tidy(() => reduce(tf.tensor(seeded(big, 5), big), [0, 1])));
        expect(maxRelativeError(wasm, cpu)).to.be.at.most(1e-5);
      }
    });

    it("leaves int32 and bool sums to the stock kernel, with cpu's dtypes", async () => {
      const ints = await onBoth(() =>
        tf.tidy(() => tf.sum(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], 'int32'), [0, 1])),
      );
      expect(ints).to.deep.include({ wasm: [16, 20], dtype: 'int32' });
      const bools = await onBoth(() =>
        tf.tidy(() => tf.sum(tf.tensor2d([true, false, true, true], [2, 2], 'bool'), 0)),
      );
      expect(bools).to.deep.include({ wasm: [2, 1], dtype: 'int32' });
      const means = await onBoth(() => tf.tidy(() => tf.mean(tf.tensor2d([1, 2, 4, 7], [2, 2], 'int32'), 0)));
      expect(means).to.deep.include({ wasm: [2.5, 4.5], dtype: 'float32' });
    });

    it('counts the leading axes however `axis` is written', () => {
      const rank3 = [4, 5, 6];
      expect(
        [0, [1, 0], [-3, -2], null, [0, 0], [1], 2, [0, 2]].map((axis) => leadingAxisCount(axis, rank3)),
      ).to.deep.equal([1, 2, 2, 3, 0, 0, 0, 0]);
    });
  });

  it('leaks no tensors or backend data, on fast paths and fallbacks', () => {
    const x = tf.tensor4d(seeded([3, 7, 5, 3], 4), [3, 7, 5, 3]);
    const y = tf.maxPool(x, 2, 2, 'valid');
    const dy = tf.onesLike(y);
    const before = { ...tf.memory(), dataIds: tf.backend().numDataIds() };
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    tf.engine().runKernel<tf.Tensor>('MaxPoolGrad', { dy, input: x, output: y }, attrs).dispose();
    tf.dispose([tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1], true), tf.sum(x, [1, 2]), tf.mean(x, [0, 3])]);
    const after = tf.memory();
    expect([after.numTensors, after.numBytes, tf.backend().numDataIds()]).to.deep.equal([
      before.numTensors,
      before.numBytes,
      before.dataIds,
    ]);
    tf.dispose([x, y, dy]);
  });
});
