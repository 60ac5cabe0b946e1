/**
 * The kernel threads: with n threads and tfjs' shared heap, n - 1 Node worker_threads run slices of
 * batchlab's SIMD kernels beside the calling thread, on the same memory, with no copies. A job is
 * posted through a shared control block (./pool-protocol) and Atomics.notify; the caller runs its
 * own slice, then spins briefly and waits for the others. The threads are unref'd (they never keep
 * the process alive) and stopped when the thread count or the memory changes, or by
 * stopSimdThreads().
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import {
  DONE,
  FAILED,
  GENERATION,
  KERNEL,
  LAYOUT,
  MAX_ARGS,
  STOP,
  THREADED_KERNELS,
  ThreadedKernel,
  argsOf,
  controlBytes,
} from './pool-protocol';

interface Pool {
  memory: object;
  workers: Worker[];
  words: Int32Array;
  slots: Float64Array[];
  /** Why the pool cannot be used (a thread failed to start or died), or null. */
  broken: string | null;
}

/** How long the caller waits for a slice before calling the thread lost. */
const ANSWER_MS = 60_000;
/** Checks of the done count before the caller sleeps: a slice often ends within microseconds. */
const SPINS = 4000;

let threads = 1;
let pool: Pool | null = null;

/** The threads batchlab's kernels use from now on (1: the calling thread only). */
export function setSimdThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`kernel threads must be a positive integer, got ${n}`);
  if (n !== threads) stopSimdThreads();
  threads = n;
}

export function simdThreads(): number {
  return threads;
}

/** Ends the kernel threads (they are started again on the next large enough job). */
export function stopSimdThreads(): void {
  if (!pool) return;
  Atomics.store(pool.words, STOP, 1);
  Atomics.add(pool.words, GENERATION, 1);
  Atomics.notify(pool.words, GENERATION);
  for (const worker of pool.workers) void worker.terminate();
  pool = null;
}

/** Live kernel threads (for tests: none after stopSimdThreads). */
export function runningSimdThreads(): number {
  return pool?.workers.length ?? 0;
}

function startPool(memory: object, modules: unknown[]): Pool {
  const fromSource = __filename.endsWith('.ts');
  const script = join(__dirname, fromSource ? 'pool-worker.ts' : 'pool-worker.js');
  const control = new SharedArrayBuffer(controlBytes(threads));
  const started: Pool = {
    memory,
    workers: [],
    words: new Int32Array(control),
    slots: Array.from({ length: threads }, (_, slot) => argsOf(control, slot)),
    broken: null,
  };
  for (let slot = 1; slot < threads; slot++) {
    // No loader: the script is plain JavaScript either way (see it).
    const worker = new Worker(script, {
      execArgv: [],
      workerData: { memory, modules, control, slot, workers: threads - 1, layout: LAYOUT },
    });
    worker.unref();
    worker.on('error', (error) => (started.broken ??= `kernel thread ${slot} failed: ${error.message}`));
    worker.on('exit', (code) => (started.broken ??= `kernel thread ${slot} exited with code ${code}`));
    started.workers.push(worker);
  }
  return started;
}

/**
 * Runs `kernel` once per argument list: the first here (through `local`), the others on the kernel
 * threads, all at once; returns when every one has finished. One list, or one thread: all here.
 */
export function runSplit(
  memory: object,
  modules: () => unknown[],
  kernel: ThreadedKernel,
  parts: number[][],
  local: (args: number[]) => void,
): void {
  if (parts.length <= 1 || threads === 1) {
    parts.forEach(local);
    return;
  }
  if (parts.length > threads) throw new Error(`${parts.length} slices for ${threads} kernel threads`);
  if (pool && pool.memory !== memory) stopSimdThreads();
  pool ??= startPool(memory, modules());
  const p = pool;
  if (p.broken) {
    stopSimdThreads();
    throw new Error(`batchlab's kernel threads stopped (${p.broken}); they start again on the next call`);
  }
  for (let slot = 1; slot < threads; slot++) {
    const args = p.slots[slot];
    const part = parts[slot];
    if (part && part.length >= MAX_ARGS) throw new Error(`${kernel} takes at most ${MAX_ARGS - 1} arguments`);
    args[0] = part ? part.length : -1;
    if (part) args.set(part, 1);
  }
  Atomics.store(p.words, KERNEL, THREADED_KERNELS.indexOf(kernel));
  Atomics.store(p.words, DONE, 0);
  Atomics.store(p.words, FAILED, 0);
  Atomics.add(p.words, GENERATION, 1);
  Atomics.notify(p.words, GENERATION);
  try {
    local(parts[0]);
  } finally {
    // Even when this slice fails, the others finish before the block is used again.
    waitForSlices(p, kernel);
  }
}

function waitForSlices(p: Pool, kernel: ThreadedKernel): void {
  const workers = p.workers.length;
  for (let i = 0; i < SPINS && Atomics.load(p.words, DONE) !== workers; i++);
  for (;;) {
    const done = Atomics.load(p.words, DONE);
    if (done === workers) break;
    if (Atomics.wait(p.words, DONE, done, ANSWER_MS) === 'timed-out' && Atomics.load(p.words, DONE) === done) {
      stopSimdThreads();
      throw new Error(`a kernel thread did not finish its part of ${kernel} within ${ANSWER_MS / 1000} s`);
    }
  }
  const failed = Atomics.load(p.words, FAILED);
  if (failed !== 0) throw new Error(`kernel thread ${failed} failed in ${kernel}`);
}
