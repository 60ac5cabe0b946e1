/**
 * The passes BatchNorm makes over an activation seen as rows of C channels: per-channel totals and
 * per-channel affine maps. Two implementations with one contract: batchlab's SIMD kernels
 * (../wasm/simd) on the wasm backend's memory when C is a multiple of 4, else TypeScript loops
 * (always on cpu). Every array is a float32 tensor's values (on wasm a view of the heap, whose byte
 * offsets the SIMD kernels take); per-channel vectors hold C values. Totals are float64: the SIMD
 * sums run over blocks of rows in float32, each block's into a scratch slot of its own (so that
 * the blocks may be summed on any of the kernel threads), then added into the float64 totals in
 * block order, so rounding error grows with the block, not with the batch, and does not depend on
 * the thread count. A block's float32 sum can overflow where the
 * float64 total (and tfjs' own sums, which divide before adding) stays finite, for values near
 * float32's largest: any total that comes out non-finite is made again by the loops.
 */
import type { ArrayBackend } from '../kernel-call';
import { SimdKernels, simdKernels } from '../wasm/simd/instance';

type F32 = Float32Array;

export interface ChannelPasses {
  /** Per-channel sum of x. `acc` is scratch of scratchVectors(rows) x C values. */
  sums(x: F32, acc: F32): Float64Array;
  /** Per-channel sum of (x - mean)^2. */
  centredSquares(x: F32, mean: F32, acc: F32): Float64Array;
  /** Per-channel sums of dy and of dy * (x - mean). `acc2` is scratch of 2 x scratchVectors(rows) x C values. */
  gradSums(dy: F32, x: F32, mean: F32, acc2: F32): [Float64Array, Float64Array];
  /** y = (x - mean) * scale + shift. */
  normalize(x: F32, mean: F32, scale: F32, shift: F32, y: F32): void;
  /** dx = k * dy + e * (x - mean) + g. */
  normalizeGrad(dy: F32, x: F32, mean: F32, k: F32, e: F32, g: F32, dx: F32): void;
}

/** Rows per float32 block of the SIMD sums. */
const BLOCK_ROWS = 256;

/** Per-channel vectors of scratch the sums need for `rows` rows: one per block of rows. */
export function scratchVectors(rows: number): number {
  return Math.max(1, Math.ceil(rows / BLOCK_ROWS));
}

/** The passes for each channel count, made once (they are built per SIMD instance or as loops). */
const made = new Map<SimdKernels | null, Map<number, ChannelPasses>>();

export function channelPasses(backend: ArrayBackend, channels: number): ChannelPasses {
  const simd = channels % 4 === 0 ? simdKernels(backend) : null;
  let byChannels = made.get(simd);
  if (!byChannels) made.set(simd, (byChannels = new Map<number, ChannelPasses>()));
  let passes = byChannels.get(channels);
  if (!passes) byChannels.set(channels, (passes = simd ? simdPasses(simd, channels) : loopPasses(channels)));
  return passes;
}

function simdPasses(k: SimdKernels, c: number): ChannelPasses {
  const loops = loopPasses(c);
  /**
   * The float64 totals, in block order, of `blocks` slots of `width` values (a block's float32
   * sums, made by a *Blocks kernel, on any thread); null when one is not finite, for the loops to
   * make them again (see the header).
   */
  const totalOf = (slots: F32, blocks: number, width: number): Float64Array | null => {
    const totals = new Float64Array(width);
    for (let b = 0; b < blocks; b++) {
      for (let j = 0; j < width; j++) totals[j] += slots[b * width + j];
    }
    return totals.every(Number.isFinite) ? totals : null;
  };
  const blocksOf = (x: F32) => Math.ceil(x.length / c / BLOCK_ROWS);
  return {
    sums: (x, acc) => {
      k.colSumsBlocks(x.byteOffset, x.length / c, c, acc.byteOffset, BLOCK_ROWS);
      return totalOf(acc, blocksOf(x), c) ?? loops.sums(x, acc);
    },
    centredSquares: (x, mean, acc) => {
      k.colCentredSquaresBlocks(x.byteOffset, x.length / c, c, mean.byteOffset, acc.byteOffset, BLOCK_ROWS);
      return totalOf(acc, blocksOf(x), c) ?? loops.centredSquares(x, mean, acc);
    },
    gradSums: (dy, x, mean, acc2) => {
      k.colGradSumsBlocks(dy.byteOffset, x.byteOffset, x.length / c, c, mean.byteOffset, acc2.byteOffset, BLOCK_ROWS);
      // Each block's slot holds its dy sums, then its dy * (x - mean) sums: 2C values.
      const both = totalOf(acc2, blocksOf(x), 2 * c);
      return both ? [both.slice(0, c), both.slice(c)] : loops.gradSums(dy, x, mean, acc2);
    },
    normalize: (x, mean, scale, shift, y) =>
      k.normalize(x.byteOffset, x.length / c, c, mean.byteOffset, scale.byteOffset, shift.byteOffset, y.byteOffset),
    normalizeGrad: (dy, x, mean, kk, e, g, dx) =>
      k.normalizeGrad(
        dy.byteOffset,
        x.byteOffset,
        x.length / c,
        c,
        mean.byteOffset,
        kk.byteOffset,
        e.byteOffset,
        g.byteOffset,
        dx.byteOffset,
      ),
  };
}

function loopPasses(c: number): ChannelPasses {
  const totalsOf = (x: F32, term: (at: number, j: number) => number): Float64Array => {
    const totals = new Float64Array(c);
    for (let at = 0; at < x.length; at += c) {
      for (let j = 0; j < c; j++) totals[j] += term(at + j, j);
    }
    return totals;
  };
  return {
    sums: (x) => totalsOf(x, (i) => x[i]),
    centredSquares: (x, mean) => totalsOf(x, (i, j) => (x[i] - mean[j]) ** 2),
    gradSums: (dy, x, mean) => [totalsOf(dy, (i) => dy[i]), totalsOf(x, (i, j) => dy[i] * (x[i] - mean[j]))],
    normalize: (x, mean, scale, shift, y) => {
      for (let at = 0; at < x.length; at += c) {
        for (let j = 0; j < c; j++) y[at + j] = (x[at + j] - mean[j]) * scale[j] + shift[j];
      }
    },
    normalizeGrad: (dy, x, mean, k, e, g, dx) => {
      for (let at = 0; at < x.length; at += c) {
        for (let j = 0; j < c; j++) dx[at + j] = k[j] * dy[at + j] + e[j] * (x[at + j] - mean[j]) + g[j];
      }
    },
  };
}
