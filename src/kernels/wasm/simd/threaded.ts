/**
 * batchlab's SIMD kernels split across the kernel threads (./pool) where the work is large enough:
 * matrix products by rows of the output, in multiples of the 4-row tile, so that every row takes
 * the same path whatever the thread count (results are bit-identical to one thread); Adam, ReLU and
 * its gradient by element ranges; the 2x2 max pool and its gradient by samples; convolutions by
 * output positions (the filter gradient by fixed slots of positions); BatchNorm's sums by whole
 * blocks of rows (each block's totals in a slot of their own, added up afterwards in block order)
 * and its affine passes by rows. Everything else, and small work, runs on the calling thread.
 */
import type { SimdKernels } from './instance';
import { runSplit, simdThreads } from './pool';
import type { ThreadedKernel } from './pool-protocol';
import { splitRange, threadsFor } from './split';

/**
 * The least work worth another thread, in multiply-adds (products) or elements (Adam, ReLU and its
 * gradient, BatchNorm, pooling); below these sizes the caller does the work alone. Measured on the
 * 2-core reference machine (README: Threads): a sleeping kernel thread starts 45 us to 250 us after
 * it is notified, and splitting Adam's 200k weights at batch size 1 made SGD a quarter slower (at
 * 2^18 per thread they stay whole); the BN CNN's BatchNorm, ReLU-gradient and pooling passes at
 * batch 128 (1.6M and 0.8M elements) took about 30% less time split than whole.
 */
export const MIN_PRODUCT_WORK = 1 << 22;
export const MIN_ELEMENT_WORK = 1 << 18;
/** Rows of the products' register tiles (mat-mul.wat, mat-mul-dots.wat). */
const TILE = 4;
/**
 * Chunks per thread used: the threads claim them one by one (./pool), so a thread that wakes late
 * (tens to hundreds of microseconds on a virtual machine) leaves its share to the others.
 */
const CHUNKS_PER_THREAD = 4;
/** Output rows a convolution gathers into columns at a time (mat-mul.wat's convRows). */
export const CONV_BLOCK_ROWS = 256;

/**
 * Slots a convolution's filter gradient is summed in (convFilterGradSlots): a fixed number, so
 * that the sum is the same on any thread count; each thread takes whole slots.
 */
export const FILTER_GRAD_SLOTS = 8;

/** K rounded up to the products' 4-row tile: the row count of a filter gradient's slots. */
export function paddedToTile(k: number): number {
  return Math.ceil(k / TILE) * TILE;
}

/**
 * Floats of scratch a convolution with K = fh * fw * inC needs: one block of columns for every
 * chunk it may be cut into, as convRows and convFilterGradSlots below cut it.
 */
export function convScratchFloats(k: number): number {
  return Math.max(simdThreads() * CHUNKS_PER_THREAD, FILTER_GRAD_SLOTS) * CONV_BLOCK_ROWS * paddedToTile(k);
}

/**
 * [start, count) ranges of `total` units (each a multiple of `align` but the last) for `work`: one
 * range where the work is too small for a second thread, else CHUNKS_PER_THREAD per thread used.
 */
function ranges(total: number, work: number, minEach: number, align: number): [number, number][] {
  const used = threadsFor(work, simdThreads(), minEach);
  return splitRange(total, used === 1 ? 1 : used * CHUNKS_PER_THREAD, align);
}

/** Chunks of whole row tiles [first row, rows] of an m x k by k x n product. */
function productRows(m: number, k: number, n: number): [number, number][] {
  return ranges(m, m * k * n, MIN_PRODUCT_WORK, TILE);
}

export function threadedKernels(local: SimdKernels, memory: object, modules: () => unknown[]): SimdKernels {
  // Every export takes numbers only; the slices below are built from each kernel's own parameters.
  const byName = local as unknown as Record<string, (...args: number[]) => void>;
  const split = (kernel: ThreadedKernel, parts: number[][]): void => {
    runSplit(memory, modules, kernel, parts, (args) => byName[kernel](...args));
  };
  return {
    ...local,
    gemm(a, b, c, m, k, n, aRow, aCol, acc) {
      split(
        'gemm',
        productRows(m, k, n).map(([i0, rows]) => [a + 4 * i0 * aRow, b, c + 4 * i0 * n, rows, k, n, aRow, aCol, acc]),
      );
    },
    gemmBlocked(a, b, c, m, k, n, aRow, aCol, kBlock) {
      split(
        'gemmBlocked',
        productRows(m, k, n).map(([i0, rows]) => [
          a + 4 * i0 * aRow,
          b,
          c + 4 * i0 * n,
          rows,
          k,
          n,
          aRow,
          aCol,
          kBlock,
        ]),
      );
    },
    gemmDots(a, b, c, m, k, n) {
      split(
        'gemmDots',
        productRows(m, k, n).map(([i0, rows]) => [a + 4 * i0 * k, b, c + 4 * i0 * n, rows, k, n]),
      );
    },
    convRows(x, w, out, cols, m0, rows, ...geometryAndEpilogue) {
      const [, , inC, , , outC, fh, fw] = geometryAndEpilogue;
      const k = fh * fw * inC;
      const blockBytes = 4 * CONV_BLOCK_ROWS * k;
      split(
        'convRows',
        productRows(rows, k, outC).map(([i0, count], chunk) => [
          ...[x, w, out, cols + chunk * blockBytes, m0 + i0, count],
          ...geometryAndEpilogue,
        ]),
      );
    },
    convFilterGradSlots(x, dy, partials, cols, s0, slots, total, m, ...geometry) {
      const [, , inC, , , outC, fh, fw] = geometry;
      const k = fh * fw * inC;
      const blockBytes = 4 * CONV_BLOCK_ROWS * paddedToTile(k);
      // One chunk of all the slots where the work is too small to share, else one per slot.
      const used = threadsFor(m * k * outC, simdThreads(), MIN_PRODUCT_WORK);
      const parts = used === 1 ? [[s0, slots]] : Array.from({ length: slots }, (_, i) => [s0 + i, 1]);
      split(
        'convFilterGradSlots',
        parts.map(([first, count], chunk) => [
          ...[x, dy, partials, cols + chunk * blockBytes, first, count, total, m],
          ...geometry,
        ]),
      );
    },
    adam(p, g, m, v, n, pOut, mOut, vOut, ...scalars) {
      const at = (ptr: number, i0: number) => ptr + 4 * i0;
      split(
        'adam',
        byElements(n).map(([i0, count]) => [
          ...[p, g, m, v].map((ptr) => at(ptr, i0)),
          count,
          ...[pOut, mOut, vOut].map((ptr) => at(ptr, i0)),
          ...scalars,
        ]),
      );
    },
    relu(x, y, n) {
      split(
        'relu',
        byElements(n).map(([i0, count]) => [x + 4 * i0, y + 4 * i0, count]),
      );
    },
    reluGrad(dy, x, dx, n) {
      split(
        'reluGrad',
        byElements(n).map(([i0, count]) => [dy + 4 * i0, x + 4 * i0, dx + 4 * i0, count]),
      );
    },
    colSumsBlocks(x, rows, c, acc, block) {
      split(
        'colSumsBlocks',
        byBlocks(rows, c, block, 1).map(([r0, n, a]) => [x + 4 * r0 * c, n, c, acc + 4 * a, block]),
      );
    },
    colCentredSquaresBlocks(x, rows, c, mean, acc, block) {
      split(
        'colCentredSquaresBlocks',
        byBlocks(rows, c, block, 1).map(([r0, n, a]) => [x + 4 * r0 * c, n, c, mean, acc + 4 * a, block]),
      );
    },
    colGradSumsBlocks(dy, x, rows, c, mean, acc, block) {
      split(
        'colGradSumsBlocks',
        byBlocks(rows, c, block, 2).map(([r0, n, a]) => [
          dy + 4 * r0 * c,
          x + 4 * r0 * c,
          n,
          c,
          mean,
          acc + 4 * a,
          block,
        ]),
      );
    },
    normalize(x, rows, c, mean, scale, shift, y) {
      split(
        'normalize',
        byRows(rows, c).map(([r0, n]) => [x + 4 * r0 * c, n, c, mean, scale, shift, y + 4 * r0 * c]),
      );
    },
    normalizeGrad(dy, x, rows, c, mean, k, e, g, dx) {
      split(
        'normalizeGrad',
        byRows(rows, c).map(([r0, n]) => [dy + 4 * r0 * c, x + 4 * r0 * c, n, c, mean, k, e, g, dx + 4 * r0 * c]),
      );
    },
    maxPool2x2(x, y, batch, inH, inW, c, outH, outW) {
      const parts = ranges(batch, batch * inH * inW * c, MIN_ELEMENT_WORK, 1);
      split(
        'maxPool2x2',
        parts.map(([b0, count]) => [
          x + 4 * b0 * inH * inW * c,
          y + 4 * b0 * outH * outW * c,
          count,
          inH,
          inW,
          c,
          outH,
          outW,
        ]),
      );
    },
    maxPoolGrad2x2(x, dy, dx, batch, inH, inW, c, outH, outW) {
      const per = inH * inW * c;
      const parts = ranges(batch, batch * per, MIN_ELEMENT_WORK, 1);
      split(
        'maxPoolGrad2x2',
        parts.map(([b0, count]) => [
          x + 4 * b0 * per,
          dy + 4 * b0 * outH * outW * c,
          dx + 4 * b0 * per,
          count,
          inH,
          inW,
          c,
          outH,
          outW,
        ]),
      );
    },
  };
}

/** Chunks [first element, count] of n elements, each a multiple of 4 but the last (see ranges). */
function byElements(n: number): [number, number][] {
  return ranges(n, n, MIN_ELEMENT_WORK, 4);
}

/** Chunks of whole rows [first row, rows] of an activation of rows x c (see ranges). */
function byRows(rows: number, c: number): [number, number][] {
  return ranges(rows, rows * c, MIN_ELEMENT_WORK, 1);
}

/**
 * Chunks of whole blocks of `block` rows, as [first row, rows, first float of the block slots of
 * `slot` x c values each] (see ranges).
 */
function byBlocks(rows: number, c: number, block: number, slot: number): [number, number, number][] {
  const blocks = Math.ceil(rows / block);
  return ranges(blocks, rows * c, MIN_ELEMENT_WORK, 1).map(([b0, count]) => [
    b0 * block,
    Math.min(rows, (b0 + count) * block) - b0 * block,
    b0 * slot * c,
  ]);
}
