/**
 * The backends factor of compare (`--backends wasm,cpu`): which of the listed backends start here,
 * each probed in a process of its own before anything trains, the record of that in backends.json
 * for the summary and report, and the lanes the cells run in: one per backend, each on workers
 * started with that backend, so that two backends never share a process or a tfjs engine. Which
 * runner runs which cell of a lane is pool.ts's.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendName, BackendProbe, describeDevice } from '../backend';
import { InputError } from '../data/input-error';
import type { Cell } from '../experiment/cells';
import type { ExperimentData } from '../experiment/setup';
import type { ExperimentSpec } from '../experiment/spec';
import { CellRunner, inProcessRunner } from './runners';
import { probeInWorker, startWorker } from './worker-process';

/** Each listed backend's probe, in the order the spec lists them. */
export const BACKENDS_FILE = 'backends.json';

/** `backend webgpu: software GPU (...): a CPU device ...`, `backend tensorflow: not run here: <why>`. */
export function describeProbe(probe: BackendProbe): string {
  return probe.info
    ? `backend ${probe.name}: ${describeDevice(probe.info)}`
    : `backend ${probe.name}: not run here: ${probe.reason}`;
}

/**
 * Probes each backend, one after another (starting one is heavy: wasm compiles, Dawn enumerates
 * adapters), logging each. Throws an InputError naming every backend and why, when none starts.
 */
export async function probeListed(names: BackendName[], log: (line: string) => void): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = [];
  for (const name of names) {
    const probe = await probeInWorker(name);
    log(describeProbe(probe));
    probes.push(probe);
  }
  if (probes.every((p) => !p.available)) {
    const why = probes.map((p) => `  ${p.name}: ${p.reason}`).join('\n');
    throw new InputError(`backends: none of ${names.join(', ')} starts here:\n${why}`);
  }
  return probes;
}

/** The probes compare recorded in `outDir`, or null (an experiment without the factor). */
export async function readBackendsFile(outDir: string): Promise<BackendProbe[] | null> {
  const path = join(outDir, BACKENDS_FILE);
  if (!existsSync(path)) return null;
  return JSON.parse(await readFile(path, 'utf8')) as BackendProbe[];
}

/** Cells that run on one backend, and how to start a runner for them. */
export interface Lane {
  backend: string;
  cells: Cell[];
  /** Whether the lane runs in this process (one slot, the experiment's one backend, jobs 1). */
  inProcess: boolean;
  start: (name: string) => Promise<CellRunner>;
}

/**
 * One lane per backend that starts, in the spec's order (so that backends run one after another and
 * their timings do not share the machine with each other), or one lane for the experiment's one
 * backend: in this process with jobs 1, else on workers.
 */
export function lanesOf(
  spec: ExperimentSpec,
  cells: Cell[],
  probes: BackendProbe[] | null,
  data: ExperimentData,
  jobs: number,
  threads?: number,
): Lane[] {
  if (!probes) {
    const inProcess = jobs === 1;
    const start = (name: string): Promise<CellRunner> =>
      inProcess ? Promise.resolve(inProcessRunner(data)) : startWorker(spec, name, undefined, threads);
    return [{ backend: data.backend.name, cells, inProcess, start }];
  }
  return probes
    .filter((p) => p.available)
    .map((p) => ({
      backend: p.name,
      cells: cells.filter((c) => c.backend === p.name),
      inProcess: false,
      start: (name: string) => startWorker(spec, `${p.name} ${name}`, p.name, threads),
    }));
}
