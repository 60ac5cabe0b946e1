/**
 * Shards: an experiment's numbered cells dealt out to n processes that may run on different
 * machines. Owns which cells shard i of n runs (every n-th cell, starting at i, so that slow and fast
 * strategies spread over the shards), where each shard writes its results (a file of its own, so no
 * two machines append to one file), and reading a shard's place from a cluster engine's
 * environment. Running the cells is compare.ts's; putting the files together is merge.ts's.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../data/input-error';
import type { RunResult } from '../experiment/result';
import { readResults } from './results-file';

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

/** The folder of an experiment directory that holds one results file per shard. */
export const SHARDS_DIR = 'shards';

/** `--shard i/n` as a Shard; the error names `option` and the value. */
export function parseShard(text: string, option = '--shard'): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const shard = match ? { index: Number(match[1]), count: Number(match[2]) } : null;
  if (!shard || shard.count < 1 || shard.index >= shard.count) {
    throw new InputError(`${option} must be i/n with 0 <= i < n (shard i of n, counted from 0), got ${text}`);
  }
  return shard;
}

/** "1/4" */
export const describeShard = (shard: Shard): string => `${shard.index}/${shard.count}`;

/**
 * The shard a cluster engine assigned this process, from its environment: a Slurm array task
 * (SLURM_ARRAY_TASK_ID, less SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT) or a Kubernetes
 * Indexed Job's pod (JOB_COMPLETION_INDEX of BATCHLAB_SHARD_COUNT, which the Job sets); null when
 * neither is there. `source` names the variables, for the log.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv): { shard: Shard; source: string } | null {
  if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_COUNT !== undefined) {
    const index = envCount(env, 'SLURM_ARRAY_TASK_ID') - envCount(env, 'SLURM_ARRAY_TASK_MIN', 0);
    const source = 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT';
    return { shard: parseShard(`${index}/${envCount(env, 'SLURM_ARRAY_TASK_COUNT')}`, source), source };
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    const source = 'JOB_COMPLETION_INDEX/BATCHLAB_SHARD_COUNT';
    if (env.BATCHLAB_SHARD_COUNT === undefined) {
      throw new InputError(
        `JOB_COMPLETION_INDEX is set (${env.JOB_COMPLETION_INDEX}) but BATCHLAB_SHARD_COUNT is not: set it to the Job's completions, or pass --shard i/n`,
      );
    }
    const index = envCount(env, 'JOB_COMPLETION_INDEX');
    return { shard: parseShard(`${index}/${envCount(env, 'BATCHLAB_SHARD_COUNT')}`, source), source };
  }
  return null;
}

/** An engine's variable as a whole number >= 0 (`fallback` when unset); the error names it and its value. */
function envCount(env: NodeJS.ProcessEnv, name: string, fallback?: number): number {
  const text = env[name];
  if (text === undefined && fallback !== undefined) return fallback;
  if (text === undefined || !/^\d+$/.test(text.trim())) {
    throw new InputError(
      `${name} must be a whole number >= 0 (a shard from the cluster engine), got ${text ?? 'nothing'}`,
    );
  }
  return Number(text);
}

/**
 * The cells of shard i of n: those whose number (place in the plan) is i modulo n.
 *
 * @example cellsOfShard(['a', 'b', 'c', 'd', 'e'], { index: 1, count: 2 }) -> ['b', 'd']
 */
export function cellsOfShard<T>(cells: T[], shard: Shard): T[] {
  return cells.filter((_, number) => number % shard.count === shard.index);
}

/** The shard that runs cell `number` when there are `count` shards. */
export const shardOfCell = (number: number, count: number): Shard => ({ index: number % count, count });

/** `<outDir>/shards/shard-1-of-4.jsonl` */
export function shardResultsPath(outDir: string, shard: Shard): string {
  return join(outDir, SHARDS_DIR, `shard-${shard.index}-of-${shard.count}.jsonl`);
}

/** The shard results files in `outDir`, sorted by name, each with the shard it belongs to. */
export async function shardFiles(outDir: string): Promise<{ path: string; shard: Shard }[]> {
  const names = await readdir(join(outDir, SHARDS_DIR)).catch(() => [] as string[]);
  return names
    .map((name) => ({ name, match: /^shard-(\d+)-of-(\d+)\.jsonl$/.exec(name) }))
    .filter((f) => f.match !== null)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ name, match }) => ({
      path: join(outDir, SHARDS_DIR, name),
      shard: { index: Number(match?.[1]), count: Number(match?.[2]) },
    }));
}

/**
 * Every result recorded in `outDir`: results.jsonl first, then each shard's file. A cell may appear
 * more than once (a failed run and its rerun); the readers choose.
 */
export async function allResults(outDir: string): Promise<RunResult[]> {
  const files = [join(outDir, 'results.jsonl'), ...(await shardFiles(outDir)).map((f) => f.path)];
  const read = await Promise.all(files.map((f) => readResults(f)));
  return read.flatMap((r) => r.results);
}
