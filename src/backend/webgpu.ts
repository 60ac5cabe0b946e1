/**
 * The WebGPU backend in Node: Dawn's Node binding (npm `webgpu`, optional, ~130 MB with every
 * platform's binary) provides navigator.gpu, and @tensorflow/tfjs-backend-webgpu runs on it. Works
 * on any Vulkan device, software ones (Mesa lavapipe) included. Owns the start-up order that Node
 * needs: navigator.gpu before the backend module is imported, an adapter check (tf.setBackend only
 * returns false without one), and removing navigator.gpu at the end so the process can exit.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { withNativeStderrFiltered } from './native-stderr';

export const WEBGPU_INSTALL_HINT = 'npm install webgpu@0.6.2 (Dawn for Node)';

export const VULKAN_HINT =
  "Dawn found no Vulkan adapter: install your GPU's Vulkan driver (NVIDIA, AMD, Intel), or Mesa's software driver " +
  "lavapipe (Debian bookworm: apt-get install -t bookworm-backports mesa-vulkan-drivers; bookworm's own 22.x is too old for Dawn)";

export const VULKAN_LOADER_HINT =
  'Dawn found no Vulkan adapter, and the Vulkan loader libvulkan.so.1 that it opens is not installed: install it ' +
  "(Debian, Ubuntu: apt-get install libvulkan1) beside your GPU's Vulkan driver";

/** The file Dawn opens on Linux to reach any Vulkan driver; driver-only images often lack it. */
const VULKAN_LOADER = 'libvulkan.so.1';

/**
 * Whether the dynamic linker can find the Vulkan loader: named in its cache (/etc/ld.so.cache, whose
 * entries are plain strings), or present in a folder of LD_LIBRARY_PATH.
 */
export function vulkanLoaderFound(
  linkerCache: string,
  ldLibraryPath: string | undefined,
  exists: (path: string) => boolean = existsSync,
): boolean {
  if (linkerCache.includes(VULKAN_LOADER)) return true;
  return (ldLibraryPath ?? '').split(delimiter).some((dir) => dir !== '' && exists(join(dir, VULKAN_LOADER)));
}

/** Why Dawn found no adapter, as far as can be told from outside it. */
function noAdapterHint(): string {
  if (process.platform !== 'linux') return VULKAN_HINT;
  let cache: string;
  try {
    cache = readFileSync('/etc/ld.so.cache', 'latin1');
  } catch {
    return VULKAN_HINT; // no cache (musl, say): nothing to tell a missing loader by
  }
  return vulkanLoaderFound(cache, process.env.LD_LIBRARY_PATH) ? VULKAN_HINT : VULKAN_LOADER_HINT;
}

/**
 * Dawn's two notices, printed from native code when it first enumerates a Vulkan adapter whose
 * dynamic-buffer limits exceed its own (lavapipe's are 1000000): "Warning: maxDynamicUniformBuffers
 * PerPipelineLayout artificially reduced from 1000000 to 16 ...". True, harmless to training, and
 * printed on every start, so batchlab drops them; Dawn's other messages still reach stderr.
 */
export const DAWN_LIMIT_NOTICES =
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

interface Dawn {
  create(options: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

interface DawnAdapter {
  info?: { vendor?: string; architecture?: string; description?: string };
}

interface DawnGpu {
  requestAdapter(): Promise<DawnAdapter | null>;
}

export interface WebGpuAdapter {
  vendor: string;
  architecture: string;
  description: string;
  /** Mesa lavapipe and other CPU implementations. */
  software: boolean;
}

// TypeScript compiles import() to require() for CommonJS; `webgpu` is an ES module, so keep a real import().
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the one way to keep import() in CommonJS output
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Dawn>;

/** globalThis seen without the DOM's Navigator type (which @webgpu/types extends). */
type GlobalWithNavigator = { navigator?: { gpu?: DawnGpu } };

const globals = (): GlobalWithNavigator => globalThis as unknown as GlobalWithNavigator;

/**
 * Installs navigator.gpu from Dawn and returns the adapter Dawn picks, or throws saying what is
 * missing. `dawnPackage` is the npm package providing Dawn (tests name a missing one).
 */
export async function installNavigatorGpu(dawnPackage = 'webgpu'): Promise<WebGpuAdapter> {
  const dawn = await importModule(dawnPackage).catch((error: Error) => {
    throw new Error(
      `the webgpu backend needs the npm package webgpu (${error.message.split('\n')[0]}): ${WEBGPU_INSTALL_HINT}`,
    );
  });
  Object.assign(globalThis, dawn.globals);
  const global = globals();
  // One Dawn instance per process: replacing it would let the first be collected while tfjs'
  // webgpu backend still holds a device made from it, which crashes the process.
  if (!global.navigator?.gpu) global.navigator = { ...(global.navigator ?? {}), gpu: dawn.create([]) };
  // Dawn enumerates the adapters, and prints its notices, inside the synchronous part of this call.
  const gpu = global.navigator.gpu;
  const adapter = gpu ? await withNativeStderrFiltered(DAWN_LIMIT_NOTICES, () => gpu.requestAdapter()) : null;
  if (!adapter) {
    releaseWebGpu();
    throw new Error(noAdapterHint());
  }
  const { vendor = 'unknown', architecture = 'unknown', description = '' } = adapter.info ?? {};
  return {
    vendor,
    architecture,
    description,
    software: /software|cpu|llvmpipe|lavapipe/i.test(`${architecture} ${description}`),
  };
}

/** Starts tfjs' webgpu backend on an installed navigator.gpu. */
export async function activateWebGpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) {
    releaseWebGpu();
    throw new Error(`tf.setBackend('webgpu') failed although an adapter exists; ${VULKAN_HINT}`);
  }
  await tf.ready();
}

/**
 * Removes navigator.gpu; Dawn keeps the event loop alive while it exists. Call it once, at the end
 * of the program: once the GPU object is collected Dawn tears down the device that tfjs' webgpu
 * backend still holds, which aborts the process if anything runs afterwards.
 */
export function releaseWebGpu(): void {
  const navigator = globals().navigator;
  if (navigator?.gpu) delete navigator.gpu;
}
