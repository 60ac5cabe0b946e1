/**
 * The layout of the control block the kernel threads share with the calling thread (./pool,
 * ./pool-worker): one SharedArrayBuffer of Int32 words, then each chunk's arguments as float64.
 * A job is a list of chunks; every thread, the calling one included, claims the next chunk with
 * Atomics.add on NEXT until none is left, so a thread that wakes late simply takes fewer. NEXT
 * holds CLOSED between jobs: a claim made then is past any chunk count.
 */
export const GENERATION = 0;
export const DONE = 1;
export const KERNEL = 2;
export const STOP = 3;
export const FAILED = 4;
export const NEXT = 5;
export const COUNT = 6;
export const HEADER_WORDS = 8;
export const CLOSED = 1 << 30;
/** Words per chunk: the argument count, then the arguments (convFilterGradSlots takes 20). */
export const MAX_ARGS = 24;
/** The most chunks one job may have. */
export const MAX_CHUNKS = 64;

/** The kernels the threads run, by index in the control block. */
export const THREADED_KERNELS = [
  'gemm',
  'gemmBlocked',
  'gemmDots',
  'convRows',
  'convFilterGradSlots',
  'adam',
  'relu',
  'reluGrad',
  'maxPool2x2',
  'maxPoolGrad2x2',
  'colSumsBlocks',
  'colCentredSquaresBlocks',
  'colGradSumsBlocks',
  'normalize',
  'normalizeGrad',
] as const;
export type ThreadedKernel = (typeof THREADED_KERNELS)[number];

/** Bytes of a control block. */
export function controlBytes(): number {
  return HEADER_WORDS * 4 + MAX_CHUNKS * MAX_ARGS * 8;
}

/** The float64 view of chunk `chunk`'s arguments. */
export function argsOf(control: SharedArrayBuffer, chunk: number): Float64Array {
  return new Float64Array(control, HEADER_WORDS * 4 + chunk * MAX_ARGS * 8, MAX_ARGS);
}

/** The layout as the kernel threads receive it (./pool-worker has no imports). */
export const LAYOUT = {
  generation: GENERATION,
  done: DONE,
  kernel: KERNEL,
  stop: STOP,
  failed: FAILED,
  next: NEXT,
  count: COUNT,
  argsByte: HEADER_WORDS * 4,
  maxArgs: MAX_ARGS,
  maxChunks: MAX_CHUNKS,
  kernels: THREADED_KERNELS,
};
