/**
 * The layout of the control block the kernel threads share with the calling thread (./pool,
 * ./pool-worker): one SharedArrayBuffer of Int32 words, then each thread's arguments as float64.
 */
export const GENERATION = 0;
export const DONE = 1;
export const KERNEL = 2;
export const STOP = 3;
export const FAILED = 4;
export const HEADER_WORDS = 8;
/** Words per thread: the argument count, then the arguments (adam takes 16). */
export const MAX_ARGS = 20;

/** The kernels the threads run, by index in the control block. */
export const THREADED_KERNELS = [
  'gemm',
  'gemmBlocked',
  'gemmDots',
  'adam',
  'reluGrad',
  'maxPoolGrad2x2',
  'colSumsBlocks',
  'colCentredSquaresBlocks',
  'colGradSumsBlocks',
  'normalize',
  'normalizeGrad',
] as const;
export type ThreadedKernel = (typeof THREADED_KERNELS)[number];

/** Bytes of a control block for `threads` threads (the calling one's slot 0 is not used). */
export function controlBytes(threads: number): number {
  return HEADER_WORDS * 4 + threads * MAX_ARGS * 8;
}

/** The float64 view of slot `slot`'s arguments. */
export function argsOf(control: SharedArrayBuffer, slot: number): Float64Array {
  return new Float64Array(control, HEADER_WORDS * 4 + slot * MAX_ARGS * 8, MAX_ARGS);
}

/** The layout as the kernel threads receive it (./pool-worker has no imports). */
export const LAYOUT = {
  generation: GENERATION,
  done: DONE,
  kernel: KERNEL,
  stop: STOP,
  failed: FAILED,
  argsByte: HEADER_WORDS * 4,
  maxArgs: MAX_ARGS,
  kernels: THREADED_KERNELS,
};
