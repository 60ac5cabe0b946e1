/**
 * Which build of tfjs' wasm backend the name 'wasm' starts, and with how many threads. Owns
 * replacing tfjs' own registration (stock single-threaded SIMD build in Node) with the threaded
 * build, and starting it again when another thread count is asked for. Kernels are registered per
 * backend name, so tfjs' and batchlab's kernels follow the new backend unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import type * as WasmPackage from '@tensorflow/tfjs-backend-wasm';
import { settleThreads, startThreadedWasm, threadedWasmUnsupported } from './threaded-module';

/** The thread count the registered 'wasm' backend starts with; null: tfjs' own registration. */
let registeredThreads: number | null = null;

const WASM_PRIORITY = 2;

/**
 * Makes 'wasm' start the threaded build with `threads` threads; returns why it cannot (tfjs' stock
 * build then stays), or null. A running wasm backend with another count is disposed first: its
 * tensors go with it, as with any tf.removeBackend.
 */
export function installThreadedWasm(wasm: typeof WasmPackage, threads: number): string | null {
  const why = threadedWasmUnsupported();
  if (why) return why;
  if (registeredThreads === threads) return null;
  if (tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const module = await startThreadedWasm(threads);
      wasm.setThreadsCount(threads);
      const backend = new wasm.BackendWasm(module as unknown as ConstructorParameters<typeof wasm.BackendWasm>[0]);
      settleThreads(module);
      return backend;
    },
    WASM_PRIORITY,
  );
  registeredThreads = threads;
  return null;
}
