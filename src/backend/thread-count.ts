/**
 * How many threads this process may compute with: the cores it may run on (CPU affinity, as
 * os.availableParallelism() reports it) capped by a cgroup CPU quota (containers, Slurm, Kubernetes
 * limits), which affinity does not show. Owns reading those limits and checking a thread count.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** The most threads batchlab starts: tfjs' threaded build keeps at most 8 in its pool. */
export const MAX_THREADS = 8;

/**
 * The whole cores a cgroup v2 `cpu.max` line ("200000 100000", or "max 100000" for no limit)
 * grants, rounded up and at least 1; null without a limit.
 */
export function coresFromCpuMax(line: string): number | null {
  const [quota, period] = line.trim().split(/\s+/);
  const q = Number(quota);
  const p = Number(period);
  if (quota === 'max' || !(q > 0) || !(p > 0)) return null;
  return Math.max(1, Math.ceil(q / p));
}

/**
 * This process's CPU quota as a cpu.max line: cgroup v2's own file, or cgroup v1's
 * cfs_quota_us / cfs_period_us (quota -1: none) put in that form; null where neither is readable.
 */
function ownCpuMax(): string | null {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    const path = line && line.length > 4 ? line.slice(3) : '';
    return readFileSync(`/sys/fs/cgroup${path}/cpu.max`, 'utf8');
  } catch {
    try {
      const quota = readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us', 'utf8').trim();
      const period = readFileSync('/sys/fs/cgroup/cpu/cpu.cfs_period_us', 'utf8').trim();
      return `${quota === '-1' ? 'max' : quota} ${period}`;
    } catch {
      return null;
    }
  }
}

/** Cores this process may use: affinity, then the cgroup quota; `sources` replace the real ones in tests. */
export function availableCores(sources: { parallelism?: number; cpuMax?: string | null } = {}): {
  cores: number;
  limitedBy: 'affinity' | 'cgroup quota';
} {
  const parallelism = sources.parallelism ?? availableParallelism();
  const cpuMax = sources.cpuMax !== undefined ? sources.cpuMax : ownCpuMax();
  const quota = cpuMax === null ? null : coresFromCpuMax(cpuMax);
  return quota !== null && quota < parallelism
    ? { cores: quota, limitedBy: 'cgroup quota' }
    : { cores: parallelism, limitedBy: 'affinity' };
}

/** The default thread count for one process among `jobs` sharing the cores: never more than the cores. */
export function defaultThreads(jobs = 1, cores = availableCores().cores): number {
  return Math.max(1, Math.min(MAX_THREADS, Math.floor(cores / jobs)));
}

/** `threads` itself when it is a whole number from 1 to MAX_THREADS; otherwise an error naming it. */
export function checkThreads(threads: number, name = 'threads'): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`${name} must be a whole number from 1 to ${MAX_THREADS}, got ${String(threads)}`);
  }
  return threads;
}
