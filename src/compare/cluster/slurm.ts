/**
 * An experiment as a Slurm job array: one array task per shard (`--array=0-(n-1)%k`), each running
 * `batchlab compare --shard i/n` with --cpus-per-task worker processes, and a merge job that runs
 * `batchlab merge` once every task has ended (`--dependency=afterany:<array job>`). Owns the sbatch
 * scripts and submitting them with sbatch; the plan they run is plan-file.ts's.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../data/input-error';
import { writeFileAtomic } from '../../io/atomic-write';
import { shellQuote } from '../interrupt';
import { ONE_THREAD_PER_WORKER } from './worker-threads';

export interface SlurmOptions {
  /** The experiment directory, absolute, on a file system every node shares. */
  outDir: string;
  /** Array tasks: one per shard. */
  shards: number;
  /** Tasks running at once (`%k`); all when undefined. */
  maxParallel?: number;
  /** CPUs per task; the task runs this many worker processes (compare --jobs). */
  cpusPerTask: number;
  /** The job name; the merge job's is this with "-merge". */
  name: string;
  /** The shell words that start batchlab on the nodes, e.g. `/usr/bin/node /opt/batchlab/dist/src/cli/main.js`. */
  command: string;
  /** Directory the jobs start in (relative paths in `command` are read from there). */
  workDir: string;
  /** Further sbatch options for both jobs, e.g. ['--partition=cpu', '--time=02:00:00']. */
  sbatchOptions?: string[];
  /** Cells in the plan, for the scripts' comment. */
  cells: number;
}

export interface SlurmScripts {
  shards: string;
  merge: string;
  submit: string;
}

/** The three scripts' text: the array job, the merge job, and a submit.sh that submits both. */
export function slurmScripts(o: SlurmOptions): SlurmScripts {
  const dir = join(o.outDir, 'slurm');
  const batchlab = o.command;
  const header = (lines: string[]): string[] => [
    '#!/bin/bash',
    ...lines.map((l) => `#SBATCH ${l}`),
    `#SBATCH --chdir=${directiveValue(o.workDir)}`,
    ...(o.sbatchOptions ?? []).map((l) => `#SBATCH ${l}`),
  ];
  const throttle = o.maxParallel === undefined ? '' : `%${o.maxParallel}`;
  const shards = [
    ...header([
      `--job-name=${o.name}`,
      `--array=0-${o.shards - 1}${throttle}`,
      `--cpus-per-task=${o.cpusPerTask}`,
      `--output=${directiveValue(join(dir, 'shard-%a.log'))}`,
    ]),
    `# One task per shard of the experiment planned in ${join(o.outDir, 'plan.json')} (${o.cells} cells, ${o.shards} shards):`,
    `# task i runs the cells whose number is i modulo ${o.shards}, in ${o.cpusPerTask} worker processes, and`,
    '# skips those already finished, so that a requeued or resubmitted task goes on where it stopped.',
    'set -eu',
    `# ${o.cpusPerTask} CPUs, ${o.cpusPerTask} workers: one thread each.`,
    `export ${Object.entries(ONE_THREAD_PER_WORKER)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')}`,
    `exec ${batchlab} compare --resume --out ${shellQuote(o.outDir)} --shard "$SLURM_ARRAY_TASK_ID/${o.shards}" --jobs ${o.cpusPerTask} --threads 1`,
    '',
  ].join('\n');
  const merge = [
    ...header([
      `--job-name=${o.name}-merge`,
      '--cpus-per-task=1',
      `--output=${directiveValue(join(dir, 'merge.log'))}`,
    ]),
    '# Gathers the shards into results.jsonl, summary.csv, plots/ and report.html; submitted with',
    '# --dependency=afterany:<array job>, so it runs once every task has ended, however it ended.',
    'set -eu',
    `exec ${batchlab} merge ${shellQuote(o.outDir)}`,
    '',
  ].join('\n');
  const submit = [
    '#!/bin/bash',
    '# Submits the array job and the merge job after it, as batchlab submit slurm --run does.',
    'set -eu',
    `array=$(sbatch --parsable ${shellQuote(join(dir, 'shards.sbatch'))})`,
    'array=${array%%;*}',
    `merge=$(sbatch --parsable --dependency=afterany:$array ${shellQuote(join(dir, 'merge.sbatch'))})`,
    'echo "array job $array, merge job ${merge%%;*}"',
    '',
  ].join('\n');
  return { shards, merge, submit };
}

/** A path in an #SBATCH line: sbatch splits those at white space outside double quotes. */
function directiveValue(path: string): string {
  return /\s/.test(path) ? `"${path}"` : path;
}

/** Writes the scripts into `<outDir>/slurm/` (where the jobs' logs go too); returns their paths. */
export async function writeSlurmScripts(o: SlurmOptions): Promise<SlurmScripts> {
  const dir = join(o.outDir, 'slurm');
  // Slurm does not create the directory of --output: without it a task fails before it starts.
  await mkdir(dir, { recursive: true });
  const scripts = slurmScripts(o);
  const paths = {
    shards: join(dir, 'shards.sbatch'),
    merge: join(dir, 'merge.sbatch'),
    submit: join(dir, 'submit.sh'),
  };
  await writeFileAtomic(paths.shards, scripts.shards);
  await writeFileAtomic(paths.merge, scripts.merge);
  await writeFileAtomic(paths.submit, scripts.submit);
  return paths;
}

/** Submits the array job, then the merge job depending on it; returns both job ids. */
export async function submitSlurm(paths: SlurmScripts, sbatch = 'sbatch'): Promise<{ array: string; merge: string }> {
  const array = await submit(sbatch, ['--parsable', paths.shards]);
  const merge = await submit(sbatch, ['--parsable', `--dependency=afterany:${array}`, paths.merge]);
  return { array, merge };
}

/** Runs sbatch and returns the job id it prints ("12" or "12;cluster" with --parsable). */
function submit(sbatch: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(sbatch, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        // Not a Slurm login node (or Slurm's commands not on PATH): the user's to fix; the scripts stay.
        reject(
          new InputError(
            `--run submits with ${sbatch}, which is not on PATH; submit the scripts with submit.sh where it is`,
          ),
        );
        return;
      }
      if (error) {
        reject(new Error(`${sbatch} ${args.join(' ')}: ${stderr.trim() || error.message}`));
        return;
      }
      const id = stdout.trim().split(';')[0];
      if (!/^\d+$/.test(id)) reject(new Error(`${sbatch} ${args.join(' ')} printed no job id: ${stdout.trim()}`));
      else resolve(id);
    });
  });
}
