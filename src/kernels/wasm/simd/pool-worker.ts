/**
 * A kernel thread (./pool starts n - 1 of them): the same SIMD modules instantiated on the same
 * shared memory, waiting on the control block for work. Each job it runs its own slot's arguments,
 * then counts itself done; an exception is recorded in the block, never left to hang the caller.
 */
import { workerData } from 'node:worker_threads';
import { DONE, FAILED, GENERATION, KERNEL, STOP, THREADED_KERNELS, argsOf } from './pool-protocol';

interface PoolWorkerData {
  memory: unknown;
  modules: unknown[];
  control: SharedArrayBuffer;
  slot: number;
  /** Every thread but the caller's: the count of DONE that ends a job. */
  workers: number;
}
interface InstanceApi {
  Instance: new (module: unknown, imports: { env: { memory: unknown } }) => { exports: object };
}

const data = workerData as PoolWorkerData;
const wasmApi = (globalThis as unknown as { WebAssembly: InstanceApi }).WebAssembly;
const kernels = Object.assign(
  {},
  ...data.modules.map((m) => new wasmApi.Instance(m, { env: { memory: data.memory } }).exports),
) as Record<string, (...args: number[]) => void>;
const words = new Int32Array(data.control);
const args = argsOf(data.control, data.slot);

// The block starts at generation 0: a job posted before this thread got here is still seen as new.
let generation = 0;
for (;;) {
  Atomics.wait(words, GENERATION, generation);
  generation = Atomics.load(words, GENERATION);
  if (Atomics.load(words, STOP) !== 0) break;
  const count = args[0];
  if (count >= 0) {
    try {
      kernels[THREADED_KERNELS[Atomics.load(words, KERNEL)]](...Array.from(args.subarray(1, 1 + count)));
    } catch {
      Atomics.store(words, FAILED, data.slot);
    }
  }
  if (Atomics.add(words, DONE, 1) + 1 === data.workers) Atomics.notify(words, DONE);
}
