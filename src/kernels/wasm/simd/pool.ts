/**
 * The kernel threads: with n threads and tfjs' shared heap, n - 1 Node worker_threads run slices of
 * batchlab's SIMD kernels beside the calling thread, on the same memory, with no copies. A job is
 * posted through a shared control block (./pool-protocol) and Atomics.notify, as chunks that the
 * caller and the threads claim one by one; the caller then spins briefly and waits for the chunks
 * the others claimed. The threads are unref'd (they never keep the process alive) and stopped when
 * the thread count or the memory changes, or by stopSimdThreads().
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLOSED,
  COUNT,
  DONE,
  FAILED,
  GENERATION,
  KERNEL,
  LAYOUT,
  MAX_ARGS,
  MAX_CHUNKS,
  NEXT,
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
  chunks: Float64Array[];
  /** Why the pool cannot be used (a thread failed to start or died), or null. */
  broken: string | null;
}

/** How long the caller waits for a slice before calling the thread lost. */
const ANSWER_MS = 60_000;
/** Checks of the done count before the caller sleeps: a slice often ends within microseconds. */
const SPINS = 4000;

let threads = 1;
let pool: Pool | null = null;

/** The script each kernel thread runs; plain JavaScript either way (see it). */
const WORKER_SCRIPT = join(__dirname, __filename.endsWith('.ts') ? 'pool-worker.ts' : 'pool-worker.js');

/**
 * Why the kernel threads cannot start here, or null. Checked before they are asked for: a thread
 * that cannot load its script fails only later, from the event loop, after the caller has run its
 * first jobs alone (a bundler that copies only the code leaves the script behind).
 */
export function simdThreadsUnavailable(): string | null {
  return existsSync(WORKER_SCRIPT) ? null : `batchlab's kernel-thread script ${WORKER_SCRIPT} not found`;
}

/** The threads batchlab's kernels use from now on (1: the calling thread only). */
export function setSimdThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`kernel threads must be a positive integer, got ${n}`);
  const unavailable = n > 1 ? simdThreadsUnavailable() : null;
  if (unavailable) throw new Error(`batchlab's kernel threads cannot start: ${unavailable}`);
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
  const control = new SharedArrayBuffer(controlBytes());
  const started: Pool = {
    memory,
    workers: [],
    words: new Int32Array(control),
    chunks: Array.from({ length: MAX_CHUNKS }, (_, chunk) => argsOf(control, chunk)),
    broken: null,
  };
  Atomics.store(started.words, NEXT, CLOSED);
  for (let slot = 1; slot < threads; slot++) {
    const worker = new Worker(WORKER_SCRIPT, {
      execArgv: [],
      workerData: { memory, modules, control, slot, layout: LAYOUT },
    });
    worker.unref();
    worker.on('error', (error) => (started.broken ??= `kernel thread ${slot} failed: ${error.message}`));
    worker.on('exit', (code) => (started.broken ??= `kernel thread ${slot} exited with code ${code}`));
    started.workers.push(worker);
  }
  return started;
}

/**
 * Runs `kernel` once per argument list (a chunk of the work), on the calling thread (through
 * `local`) and the kernel threads together: each claims the next chunk until none is left, so the
 * caller starts at once and a thread that wakes late takes fewer. Returns when every claimed chunk
 * has finished. One list, or one thread: all here.
 */
export function runSplit(
  memory: object,
  modules: () => unknown[],
  kernel: ThreadedKernel,
  chunks: number[][],
  local: (args: number[]) => void,
): void {
  if (chunks.length <= 1 || threads === 1) {
    chunks.forEach(local);
    return;
  }
  if (chunks.length > MAX_CHUNKS) throw new Error(`${kernel}: ${chunks.length} chunks, at most ${MAX_CHUNKS}`);
  if (pool && pool.memory !== memory) stopSimdThreads();
  pool ??= startPool(memory, modules());
  const p = pool;
  if (p.broken) {
    stopSimdThreads();
    throw new Error(`batchlab's kernel threads stopped (${p.broken}); they start again on the next call`);
  }
  chunks.forEach((chunk, i) => {
    if (chunk.length >= MAX_ARGS) throw new Error(`${kernel} takes at most ${MAX_ARGS - 1} arguments`);
    p.chunks[i][0] = chunk.length;
    p.chunks[i].set(chunk, 1);
  });
  Atomics.store(p.words, KERNEL, THREADED_KERNELS.indexOf(kernel));
  Atomics.store(p.words, COUNT, chunks.length);
  Atomics.store(p.words, DONE, 0);
  Atomics.store(p.words, FAILED, 0);
  // Opening the job last: a claim can only see it whole.
  Atomics.store(p.words, NEXT, 0);
  Atomics.add(p.words, GENERATION, 1);
  Atomics.notify(p.words, GENERATION);
  let failure: Error | null = null;
  try {
    for (let i = Atomics.add(p.words, NEXT, 1); i < chunks.length; i = Atomics.add(p.words, NEXT, 1)) {
      local(chunks[i]);
      Atomics.add(p.words, DONE, 1);
    }
  } catch (error) {
    failure = error as Error;
    Atomics.add(p.words, DONE, 1);
  }
  // Closed, no chunk is claimed any more; those claimed finish before the block is used again.
  const claimed = Math.min(Atomics.exchange(p.words, NEXT, CLOSED), chunks.length);
  waitForChunks(p, kernel, claimed);
  if (failure) throw new Error(`${kernel} failed on the calling thread: ${failure.message}`, { cause: failure });
  const failed = Atomics.load(p.words, FAILED);
  if (failed !== 0) throw new Error(`kernel thread ${failed} failed in ${kernel}`);
}

function waitForChunks(p: Pool, kernel: ThreadedKernel, claimed: number): void {
  for (let i = 0; i < SPINS && Atomics.load(p.words, DONE) !== claimed; i++);
  for (;;) {
    const done = Atomics.load(p.words, DONE);
    if (done === claimed) return;
    if (Atomics.wait(p.words, DONE, done, ANSWER_MS) === 'timed-out' && Atomics.load(p.words, DONE) === done) {
      stopSimdThreads();
      throw new Error(`a kernel thread did not finish its part of ${kernel} within ${ANSWER_MS / 1000} s`);
    }
  }
}
