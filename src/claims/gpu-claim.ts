/**
 * "A GPU is faster than a CPU for mini-batches": the throughput sweep's samples per second on a GPU
 * backend against the fastest CPU backend, at mini-batch sizes. A GPU backend is one that computes on
 * a GPU device: webgpu on a hardware adapter, tensorflow with CUDA; webgpu on a software adapter
 * (Mesa lavapipe, llvmpipe) computes on the CPU and does not count. Owns the rule; which backends
 * start is the doctor's to find out.
 */
import type { ThroughputPointLike } from './powers-of-two-claim';
import { ClaimCheck, cannotBeChecked, doesNotHold, figure, holds, holdsInPart, median } from './verdict';

/** A backend as the doctor found it. */
export interface BackendStatus {
  name: string;
  available: boolean;
  /** Whether it computes on a GPU device (false for a software adapter). */
  gpu: boolean;
  /** What computes, e.g. 'software GPU (WebGPU on mesa software, llvmpipe)'; null if unavailable. */
  device: string | null;
  /** Why it does not start; null if it does. */
  reason: string | null;
}

/** Batch sizes from here up count as mini-batches for this claim. */
export const GPU_MIN_BATCH = 32;

export const GPU_RULE =
  `At each batch size of ${GPU_MIN_BATCH} or more swept on a GPU backend and on a CPU backend, the GPU backend is faster if its ` +
  "median samples per second exceeds the fastest CPU backend's median. Holds if faster at every such size, in part if at " +
  'some. A GPU backend is webgpu on a hardware adapter or tensorflow with CUDA; webgpu on a software adapter (Mesa ' +
  'lavapipe) runs on the CPU and does not count. Cannot be checked here without a GPU backend, or without both swept.';

/** `webgpu runs on <adapter>, a CPU device` for a software adapter, `<name> does not start` for one that does not. */
function whyNotGpu(b: BackendStatus): string {
  if (!b.available) return `${b.name} does not start`;
  // The adapter's own description may hold parentheses: everything up to the device's closing one.
  const adapter = /WebGPU on (.*)\)$/.exec(b.device ?? '')?.[1];
  return adapter ? `${b.name} runs on ${adapter}, a CPU device` : `${b.name} runs on the CPU`;
}

export function checkGpuClaim(
  backends: BackendStatus[],
  points: ThroughputPointLike[],
  plot: string | null,
): ClaimCheck {
  const base = { id: 'gpu', claim: 'A GPU is faster than a CPU for mini-batches', rule: GPU_RULE };
  const gpus = backends.filter((b) => b.available && b.gpu).map((b) => b.name);
  const cpus = backends.filter((b) => b.available && !b.gpu).map((b) => b.name);
  const started = `backends that start: ${
    backends
      .filter((b) => b.available)
      .map((b) => `${b.name} (${b.device ?? ''})`)
      .join(', ') || 'none'
  }`;
  if (gpus.length === 0) {
    const why = backends.filter((b) => b.name === 'webgpu' || b.name === 'tensorflow').map(whyNotGpu);
    return {
      ...base,
      evidence: started,
      plot,
      verdict: cannotBeChecked(`no GPU backend${why.length ? ` (${why.join('; ')})` : ''}`),
    };
  }
  const rate = (backend: string, batchSize: number): number | null => {
    const p = points.find((q) => q.backend === backend && q.batchSize === batchSize && q.samplesPerSecond.length > 0);
    return p ? median(p.samplesPerSecond) : null;
  };
  const sizes = [...new Set(points.map((p) => p.batchSize))].filter((b) => b >= GPU_MIN_BATCH).sort((a, b) => a - b);
  const compared = sizes.flatMap((batchSize) => {
    const gpu = Math.max(...gpus.map((g) => rate(g, batchSize) ?? -Infinity));
    const cpu = Math.max(...cpus.map((c) => rate(c, batchSize) ?? -Infinity));
    return Number.isFinite(gpu) && Number.isFinite(cpu) ? [{ batchSize, speedup: gpu / cpu }] : [];
  });
  if (compared.length === 0) {
    const why = `no batch size of ${GPU_MIN_BATCH} or more swept on both a GPU (${gpus.join(', ')}) and a CPU backend`;
    return { ...base, evidence: started, plot, verdict: cannotBeChecked(why) };
  }
  const evidence = `GPU over the fastest CPU backend, samples/s: ${compared.map((c) => `batch ${c.batchSize} ${figure(c.speedup)}x`).join(', ')}`;
  const faster = compared.filter((c) => c.speedup > 1);
  if (faster.length === compared.length) return { ...base, evidence, plot, verdict: holds() };
  if (faster.length === 0)
    return { ...base, evidence, plot, verdict: doesNotHold('the CPU is as fast or faster at every batch size') };
  const at = faster.map((c) => c.batchSize).join(', ');
  return { ...base, evidence, plot, verdict: holdsInPart(`faster at batch ${at} only`) };
}
