/**
 * Choosing and starting a tfjs backend: 'tensorflow' (native, CUDA when available), 'wasm' (with
 * batchlab's training-kernel pack) or 'cpu' (pure JS), or 'auto' for the fastest that starts.
 * Owns the start-up order and the BackendInfo report; the native details live in native.ts.
 */
import * as tf from '@tensorflow/tfjs';
import {
  NATIVE_PACKAGES,
  NativeCandidate,
  NativeNotInstalledError,
  checkSharedCore,
  findNativePackage,
  loadNativePackage,
  nativeUsesGpu,
} from './native';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../kernels/wasm';
import { productsUseFma, setSimdThreads, simdThreadsUnavailable } from '../kernels';
import { registerCpuTrainingKernels, unregisterCpuTrainingKernels } from '../kernels/cpu';
import { registerWebGpuTrainingKernels, unregisterWebGpuTrainingKernels } from '../kernels/webgpu';
import { activateWebGpu, installNavigatorGpu } from './webgpu';
import { skipCpuBanner } from './cpu-banner';
import { checkThreads, defaultThreads } from './thread-count';
import { installThreadedWasm } from './wasm-threads/install';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * The order 'auto' tries. WebGPU is not in it: starting Dawn to look for an adapter is slow and
 * noisy where there is none, and on software Vulkan it is slower than wasm; ask for it by name.
 */
export const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Every backend batchlab knows, in the order doctor reports them. */
export const ALL_BACKENDS: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** What computes: 'CUDA GPU', 'CPU (libtensorflow)', 'CPU (WebAssembly, SIMD)', 'CPU (JavaScript)'. */
  device: string;
  gpu: boolean;
  /** Package versions in use, e.g. { 'tfjs-core': '4.22.0', 'tfjs-backend-wasm': '4.22.0' }. */
  versions: Record<string, string>;
  /** Threads the backend computes with, where known. */
  threads: number | null;
  /** Why faster backends were skipped (for 'auto'), and other remarks. */
  notes: string[];
}

export interface UseBackendOptions {
  /**
   * Use batchlab's kernel packs: on wasm the training kernels (needed to train CNNs there), on
   * wasm and cpu the fused BatchNorm, Adam, loss and ReLU-gradient kernels, on webgpu the fused
   * BatchNorm, loss and Adam kernels and the filter gradient; false restores tfjs' stock kernels.
   * Default: true.
   */
  kernels?: boolean;
  /** Native packages to try, in order. Default: tfjs-node-gpu, then tfjs-node. */
  nativePackages?: readonly NativeCandidate[];
  /**
   * Threads the wasm backend computes with (tfjs' threaded SIMD build: XNNPACK's pool and
   * batchlab's kernels), 1 to 8. Default: the cores this process may use (thread-count.ts).
   */
  threads?: number;
}

/**
 * The size of XNNPACK's own pool in tfjs' threaded build. Measured on the 2-core reference machine
 * (same build, 1 against 2): with 2 it made MLP-BN training at batch 32 about a third slower (each
 * small stock op hands work to the other thread and waits for it) and the BN CNN at batch 128 2%
 * faster; so it keeps one thread, and the threads asked for are batchlab's kernels'.
 */
const XNNPACK_THREADS = 1;

/** What the last successful useBackend started: its name and threads. */
let started: { name: BackendName; threads: number | null } | null = null;

/**
 * Threads the active backend computes with, as useBackend started it; null where unknown (a native
 * or WebGPU backend, or one made active around useBackend).
 */
export function activeBackendThreads(): number | null {
  return started && tf.getBackend() === started.name ? started.threads : null;
}

/** Starts `choice` and makes it the active backend. Throws, saying why and what to install, if it cannot. */
export async function useBackend(
  choice: BackendChoice = 'auto',
  options: UseBackendOptions = {},
): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new Error(`backend must be one of ${BACKEND_CHOICES.join(', ')}, got ${String(choice)}`);
  }
  if (options.threads !== undefined) checkThreads(options.threads);
  if (choice !== 'auto') return start(choice, options);
  const notes: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      const info = await start(name, options);
      return { ...info, notes: [...notes, ...info.notes] };
    } catch (error) {
      const why =
        error instanceof NativeNotInstalledError
          ? 'not installed (batchlab doctor says how to add it)'
          : String(error instanceof Error ? error.message : error);
      notes.push(`${name} skipped: ${why}`);
    }
  }
  throw new Error(`no backend could start:\n${notes.join('\n')}`);
}

async function start(name: BackendName, options: UseBackendOptions): Promise<BackendInfo> {
  started = null;
  const info =
    name === 'tensorflow'
      ? await startNative(options.nativePackages ?? NATIVE_PACKAGES)
      : name === 'webgpu'
        ? await startWebGpu(options.kernels ?? true)
        : name === 'wasm'
          ? await startWasm(options.kernels ?? true, options.threads ?? defaultThreads())
          : await startCpu(options.kernels ?? true);
  started = { name, threads: info.threads };
  return info;
}

/** The cpu backend, with batchlab's fused training kernels unless the kernel packs are turned off. */
async function startCpu(kernels: boolean): Promise<BackendInfo> {
  if (kernels) registerCpuTrainingKernels();
  else unregisterCpuTrainingKernels();
  await activate('cpu');
  skipCpuBanner();
  const notes = kernels ? ["batchlab's fused training kernels for cpu (README: Performance)"] : [];
  return { name: 'cpu', device: 'CPU (JavaScript)', gpu: false, versions: coreVersions(), threads: 1, notes };
}

async function startNative(candidates: readonly NativeCandidate[]): Promise<BackendInfo> {
  const pkg = findNativePackage(candidates);
  if (!pkg) throw new NativeNotInstalledError();
  checkSharedCore(pkg);
  loadNativePackage(pkg);
  await activate('tensorflow');
  const gpu = nativeUsesGpu(tf.backend());
  const notes =
    pkg.name.endsWith('-gpu') && !gpu
      ? ['tfjs-node-gpu found no usable CUDA GPU and runs on the CPU (check the CUDA 11.2 / cuDNN 8.1 libraries)']
      : [];
  return {
    name: 'tensorflow',
    device: gpu ? 'CUDA GPU' : 'CPU (libtensorflow)',
    gpu,
    versions: { ...coreVersions(), [pkg.name.replace('@tensorflow/', '')]: pkg.version },
    threads: null,
    notes,
  };
}

async function startWebGpu(kernels: boolean): Promise<BackendInfo> {
  const adapter = await installNavigatorGpu();
  await activateWebGpu();
  // After activation: the pack replaces kernels that the backend's module registers on loading.
  if (kernels) registerWebGpuTrainingKernels();
  else unregisterWebGpuTrainingKernels();
  // The version of whichever copy Node resolves at run time, which a static import would fix at build.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('@tensorflow/tfjs-backend-webgpu/package.json') as { version: string };
  return {
    name: 'webgpu',
    device: `${adapter.software ? 'software GPU' : 'GPU'} (WebGPU on ${adapter.vendor} ${adapter.architecture}${adapter.description ? `, ${adapter.description}` : ''})`,
    gpu: !adapter.software,
    versions: { ...coreVersions(), 'tfjs-backend-webgpu': version },
    threads: null,
    notes: [
      'every tensor read is asynchronous on WebGPU; call releaseWebGpu() (the CLI does) so that the process can exit',
      ...(kernels ? ["batchlab's webgpu kernel pack: BatchNorm, loss, Adam, filter gradient (README: WebGPU)"] : []),
    ],
  };
}

async function startWasm(kernels: boolean, threads: number): Promise<BackendInfo> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  // tfjs' threaded build is SIMD-only; without SIMD its one-thread build stays.
  const unthreaded = simd
    ? (simdThreadsUnavailable() ?? installThreadedWasm(wasm, XNNPACK_THREADS))
    : 'no WebAssembly SIMD in this runtime';
  // The threads asked for are batchlab's kernels', which split their large calls across them.
  setSimdThreads(unthreaded ? 1 : threads);
  if (!kernels) unregisterWasmTrainingKernels();
  const registered = kernels ? registerWasmTrainingKernels() : [];
  await activate('wasm');
  const notes = kernels ? [] : ['training kernel pack off: CNNs cannot train on wasm'];
  if (registered.length > 0)
    notes.push(`batchlab's wasm kernel pack: ${registered.length} kernels (README: Performance)`);
  if (unthreaded) notes.push(`one thread: ${unthreaded}`);
  if (kernels && productsUseFma()) notes.push("matrix products with relaxed SIMD's fused multiply-add");
  return {
    name: 'wasm',
    device: `CPU (WebAssembly${simd ? ', SIMD' : ''})`,
    gpu: false,
    versions: { ...coreVersions(), 'tfjs-backend-wasm': wasm.version_wasm },
    threads: unthreaded ? 1 : threads,
    notes,
  };
}

async function activate(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed to initialise the backend`);
  await tf.ready();
}

function coreVersions(): Record<string, string> {
  return { 'tfjs-core': tf.version_core, 'tfjs-layers': tf.version_layers };
}
