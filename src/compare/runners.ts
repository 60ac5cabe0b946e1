/**
 * Where cells run: in this process, or in k worker processes (`--jobs k`) that each start the
 * backend and load the data once. A cell's result does not depend on where it ran: each cell is
 * seeded on its own and workers use the same backend and data.
 */
import { fork, ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Cell } from '../experiment/cells';
import type { CellSettings } from '../experiment/run-cell';
import type { RunResult } from '../experiment/result';
import type { ExperimentData } from '../experiment/setup';
import { runCell } from '../experiment/run-cell';
import type { ExperimentSpec } from '../experiment/spec';

export interface CellRunner {
  run(cell: Cell, settings: CellSettings): Promise<RunResult>;
  close(): Promise<void>;
}

export function inProcessRunner(data: ExperimentData): CellRunner {
  return {
    run: (cell, settings) => runCell(cell, data, settings),
    close: () => Promise.resolve(),
  };
}

/** Messages between the parent and a worker (worker.ts). */
/** A worker plans the same spec itself, so a cell travels by its id. */
export type ToWorker = { type: 'init'; spec: ExperimentSpec } | { type: 'run'; cellId: string; settings: CellSettings };
export type FromWorker = { type: 'ready' } | { type: 'result'; result: RunResult } | { type: 'error'; message: string };

/** Starts one worker process and waits until it has its backend and data. */
export async function workerRunner(spec: ExperimentSpec): Promise<CellRunner> {
  const child = forkWorker();
  let pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null = null;
  child.on('message', (message: FromWorker) => pending?.resolve(message));
  child.on('exit', (code) => pending?.reject(new Error(`worker process exited with code ${code}`)));
  const request = (message: ToWorker): Promise<FromWorker> =>
    new Promise((resolve, reject) => {
      pending = { resolve, reject };
      child.send(message);
    });
  const ready = await request({ type: 'init', spec });
  if (ready.type === 'error') throw new Error(`worker failed to start: ${ready.message}`);
  return {
    run: async (cell, settings) => {
      const reply = await request({ type: 'run', cellId: cell.id, settings });
      if (reply.type !== 'result')
        throw new Error(`worker failed on ${cell.id}: ${reply.type === 'error' ? reply.message : reply.type}`);
      return reply.result;
    },
    close: async () => {
      pending = null;
      child.removeAllListeners('exit');
      child.disconnect();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Forks worker.js (compiled) or worker.ts (run through tsx, as in the tests). */
function forkWorker(): ChildProcess {
  const fromSource = __filename.endsWith('.ts');
  const script = join(__dirname, fromSource ? 'worker.ts' : 'worker.js');
  return fork(script, [], {
    execArgv: fromSource ? ['--require', 'tsx/cjs'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Runs `cells` on `runners`, each taking the next cell when free; calls `onResult` as each ends. */
export async function runPool(
  runners: CellRunner[],
  cells: Cell[],
  settings: CellSettings,
  onResult: (result: RunResult) => Promise<void>,
  onStart: (cell: Cell) => void = () => undefined,
): Promise<void> {
  let next = 0;
  await Promise.all(
    runners.map(async (runner) => {
      while (next < cells.length) {
        const cell = cells[next++];
        onStart(cell);
        await onResult(await runner.run(cell, settings));
      }
    }),
  );
}
