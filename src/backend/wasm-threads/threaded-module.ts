/**
 * Loading tfjs-backend-wasm's threaded SIMD build in Node, which tfjs itself never does there: its
 * flag WASM_HAS_MULTITHREAD_SUPPORT is hard-wired off in Node, and it would start the Emscripten
 * threads from blob URLs that Node's worker_threads refuse. Owns the Emscripten module's start-up
 * (file locations, the worker script, the thread count the C++ side sees) and the threads' lifetime.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The part of the Emscripten module tfjs' BackendWasm and batchlab use. */
export interface ThreadedWasmModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => number;
  wasmMemory: { buffer: ArrayBufferLike };
  PThread: { unusedWorkers: EmscriptenWorker[]; runningWorkers: EmscriptenWorker[] };
  tfjs?: Record<string, (...args: number[]) => number>;
}
interface EmscriptenWorker {
  terminate(): Promise<number>;
  unref(): void;
}
interface EmscriptenImports {
  env: Record<string, unknown>;
}
interface WasmInstantiation {
  instance: unknown;
  module: unknown;
}
type Factory = (config: Record<string, unknown>) => Promise<ThreadedWasmModule>;

const WASM_OUT = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
const SCRIPT = join(WASM_OUT, 'tfjs-backend-wasm-threaded-simd.js');
const BINARY = join(WASM_OUT, 'tfjs-backend-wasm-threaded-simd.wasm');
/** From the sources under tsx the worker script is the .ts file, which Node runs as plain JavaScript. */
const WORKER = join(__dirname, __filename.endsWith('.ts') ? 'pthread-worker.ts' : 'pthread-worker.js');

const wasmApi = (
  globalThis as unknown as {
    WebAssembly: { instantiate(bytes: Uint8Array, imports: EmscriptenImports): Promise<WasmInstantiation> };
  }
).WebAssembly;

/** Why the threaded build cannot run in this process, or null when it can. */
export function threadedWasmUnsupported(): string | null {
  if (typeof SharedArrayBuffer !== 'function') return 'this Node has no SharedArrayBuffer';
  // A bundler that copies only the code leaves these behind; their threads would fail to start.
  const missing = [SCRIPT, BINARY, WORKER].filter((file) => !existsSync(file));
  if (missing.length > 0) return `the threaded build's ${missing.join(', ')} not found`;
  return null;
}

/**
 * Starts the threaded build with an XNNPACK pool of `threads` and resolves to the module, with the
 * `tfjs` functions BackendWasm expects. Its idle Emscripten workers are ended and its pool threads
 * unref'd, so that they neither hold memory nor keep the process alive.
 */
export async function startThreadedWasm(threads: number): Promise<ThreadedWasmModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Emscripten's CommonJS factory, loaded by path
  const factory = require(SCRIPT) as Factory;
  const module = await new Promise<ThreadedWasmModule>((resolve, reject) => {
    const failed = (why: unknown) =>
      reject(new Error(`tfjs' threaded wasm build did not start: ${why instanceof Error ? why.message : String(why)}`));
    factory({
      locateFile: (file: string) => (file.endsWith('.worker.js') ? WORKER : join(WASM_OUT, file)),
      // Each thread loads the build's script from here: a path, where tfjs would give a blob.
      mainScriptUrlOrBlob: SCRIPT,
      instantiateWasm(imports: EmscriptenImports, receive: (instance: unknown, module: unknown) => void) {
        // tfjs' C++ side halves the logical core count (it assumes two hyperthreads per core) and
        // caps the pool at that; seen as 2 x threads, the cap is the count asked for.
        imports.env.emscripten_num_logical_cores = () => 2 * threads;
        wasmApi.instantiate(readFileSync(BINARY), imports).then((r) => receive(r.instance, r.module), failed);
        return {};
      },
      onAbort: failed,
    }).then(resolve, failed);
  });
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/**
 * After BackendWasm has made its pool: Emscripten keeps 8 workers ready whatever the pool's size;
 * the idle ones are ended, and the pool's own threads, which wait for work forever, are unref'd.
 */
export function settleThreads(module: ThreadedWasmModule): void {
  for (const worker of module.PThread.unusedWorkers.splice(0)) void worker.terminate();
  for (const worker of module.PThread.runningWorkers) worker.unref();
}
