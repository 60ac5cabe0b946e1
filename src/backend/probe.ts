/**
 * Whether one backend starts in this process, and why not: the doctor's question for one backend,
 * asked by `batchlab doctor` for every backend and by compare, in a child process, for each backend
 * an experiment lists. Starting it leaves it active; restoring the previous one is the caller's.
 */
import { BackendInfo, BackendName, UseBackendOptions, useBackend } from './use-backend';

export interface BackendProbe {
  name: BackendName;
  available: boolean;
  info: BackendInfo | null;
  /** Why it is unavailable, or null. */
  reason: string | null;
}

export async function probeBackend(name: BackendName, options: UseBackendOptions = {}): Promise<BackendProbe> {
  try {
    return { name, available: true, info: await useBackend(name, options), reason: null };
  } catch (error) {
    return { name, available: false, info: null, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * What a started backend computes on, said plainly: WebGPU on a software Vulkan adapter (Mesa
 * lavapipe) runs on the CPU, which its adapter's name alone does not make clear.
 */
export function describeDevice(info: BackendInfo): string {
  const software = info.name === 'webgpu' && !info.gpu;
  return software ? `${info.device}: a CPU device (software Vulkan), not a GPU` : info.device;
}
