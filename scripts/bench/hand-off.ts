/**
 * The bench's two measures of what handing work to another core costs on this machine, which the
 * thread table's small batches lose to (README: Threads):
 * - wake-up: how long a thread sleeping in Atomics.wait (as batchlab's kernel threads do between
 *   calls) takes to start after it is notified, when the calls come 0.05 ms and 0.5 ms apart;
 * - data: reading a buffer the size of a 784x256 float32 weight matrix (800 KB, one load per
 *   64-byte line) that the other thread has just written, against one the reader wrote itself.
 * Medians of `rounds`; the other thread is a plain worker, no wasm involved.
 */
import { Worker } from 'node:worker_threads';
import { median } from './measure';

const BYTES = 784 * 256 * 4;
const LINE_FLOATS = 16;
const LINES = BYTES / 4 / LINE_FLOATS;

/**
 * The other thread: sleeps until word 0 goes up, notes when it woke (float64 slot 1, against the
 * poster's time in slot 0), fills the buffer when asked (word 2), and counts itself done (word 1).
 */
const OTHER = `
const { workerData } = require('node:worker_threads');
const words = new Int32Array(workerData.control);
const times = new Float64Array(workerData.control, 16, 2);
const values = new Float32Array(workerData.data);
const now = () => Number(process.hrtime.bigint() % 1000000000000n) / 1000;
for (let seen = 0; ; ) {
  Atomics.wait(words, 0, seen);
  times[1] = now() - times[0];
  seen = Atomics.load(words, 0);
  if (seen < 0) break;
  if (Atomics.load(words, 2) === 1) values.fill(seen);
  Atomics.store(words, 1, seen);
  Atomics.notify(words, 1);
}`;

const now = () => Number(process.hrtime.bigint() % 1000000000000n) / 1000;

/** Microseconds to read `values` with one load per cache line; checks that it read `fill` everywhere. */
function timeReadLines(values: Float32Array, fill: number): number {
  const start = now();
  let sum = 0;
  for (let i = 0; i < values.length; i += LINE_FLOATS) sum += values[i];
  const micros = now() - start;
  if (sum !== fill * LINES) throw new Error(`hand-off: read ${sum}, expected ${fill * LINES}`);
  return micros;
}

function busyFor(micros: number): void {
  const until = now() + micros;
  while (now() < until);
}

/** The section's two lines. */
export async function handOffLines(rounds = 200): Promise<string[]> {
  const control = new SharedArrayBuffer(32);
  const data = new SharedArrayBuffer(BYTES);
  const words = new Int32Array(control);
  const times = new Float64Array(control, 16, 2);
  const values = new Float32Array(data);
  const other = new Worker(OTHER, { eval: true, workerData: { control, data } });
  let job = 0;
  /** Posts a job to the other thread (filling the buffer or not) and waits until it is done. */
  const post = (fill: boolean): number => {
    job++;
    Atomics.store(words, 2, fill ? 1 : 0);
    times[0] = now();
    Atomics.store(words, 0, job);
    Atomics.notify(words, 0);
    while (Atomics.load(words, 1) !== job) Atomics.wait(words, 1, Atomics.load(words, 1), 1000);
    return times[1];
  };
  const wake: Record<number, number[]> = { 50: [], 500: [] };
  const [handed, local]: number[][] = [[], []];
  try {
    await new Promise((resolve) => other.once('online', resolve));
    for (let round = 0; round < rounds; round++) {
      for (const gap of [50, 500]) {
        busyFor(gap);
        wake[gap].push(post(false));
      }
      post(true);
      handed.push(timeReadLines(values, job));
      values.fill(round);
      local.push(timeReadLines(values, round));
    }
  } finally {
    Atomics.store(words, 0, -1);
    Atomics.notify(words, 0);
    await other.terminate();
  }
  const [h, l] = [median(handed), median(local)];
  const perLine = (micros: number) => `${((1000 * micros) / LINES).toFixed(1)} ns a line`;
  return [
    `hand-off to another core (plain worker threads, medians of ${rounds}):`,
    `  wake-up of a sleeping thread   ${median(wake[50]).toFixed(0)} us with calls 0.05 ms apart, ${median(wake[500]).toFixed(0)} us with calls 0.5 ms apart`,
    `  reading 800 KB it just wrote   ${h.toFixed(0)} us (${perLine(h)}), against ${l.toFixed(0)} us (${perLine(l)}) when the reader wrote it`,
  ];
}
