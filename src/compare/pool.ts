/**
 * The pool: k slots each run cells one after another on a runner of their own (a worker process, or
 * this process with one slot). Owns what happens when a runner is lost: the loss is reported, the
 * cell it was running is retried once on a fresh runner and then recorded as failed with the cause,
 * and every other cell goes on. Also owns stopping: on abort (Ctrl-C) or a fatal error every runner
 * is ended and nothing more is recorded. Starting a runner is the caller's `start`; results files are
 * the caller's `onResult`.
 */
import type { Cell } from '../experiment/cells';
import type { CellSettings } from '../experiment/run-cell';
import type { RunResult } from '../experiment/result';
import { cellRecord } from '../experiment/cells';
import { CellRunner, RunnerLost } from './runners';

export interface PoolOptions {
  cells: Cell[];
  /** Slots running cells at once. */
  slots: number;
  /** Starts a runner called `name` ("worker 3"); rejects with the cause when it cannot start. */
  start: (name: string) => Promise<CellRunner>;
  settings: (cell: Cell) => CellSettings;
  onResult: (result: RunResult) => Promise<void>;
  onStart?: (cell: Cell, runner: string) => void;
  /** Runners lost or failing to start, cells retried or given up. */
  log?: (line: string) => void;
  /** Aborting ends every runner; the pool then rejects with PoolInterrupted. */
  signal?: AbortSignal;
  /** The backend's name, for the record of a cell whose runner was lost on every attempt. */
  backend: string;
}

/** Thrown when the pool was stopped by its signal: cells in flight were not recorded. */
export class PoolInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'PoolInterrupted';
  }
}

/** Attempts per cell when runners are lost: the first, and one retry on a fresh runner. */
const ATTEMPTS = 2;

export async function runPool(options: PoolOptions): Promise<void> {
  const { cells, start, settings, onResult, signal } = options;
  const log = options.log ?? (() => undefined);
  const queue = [...cells];
  const attempts = new Map<string, number>();
  const live = new Set<CellRunner>();
  let started = 0;
  let stopping = false;
  let lastStartError = '';

  const stopAll = (force: boolean): Promise<void> => {
    stopping = true;
    return Promise.all([...live].map((r) => r.close({ force }))).then(() => undefined);
  };
  const onAbort = (): void => void stopAll(true);
  signal?.addEventListener('abort', onAbort);
  // Aborted before the pool began (while the data loaded): nothing starts.
  if (signal?.aborted) stopping = true;

  const startRunner = async (): Promise<CellRunner | null> => {
    const name = `worker ${++started}`;
    try {
      const runner = await start(name);
      live.add(runner);
      // Aborted while starting: onAbort has already run, so this one is ended here.
      if (stopping) void runner.close({ force: true });
      return runner;
    } catch (error) {
      lastStartError = (error as Error).message;
      if (!stopping) log(lastStartError);
      return null;
    }
  };

  const slot = async (): Promise<void> => {
    let runner: CellRunner | null = null;
    // A cell whose runner was lost, kept for this slot's fresh runner.
    let retry: Cell | null = null;
    while ((retry || queue.length > 0) && !stopping) {
      runner ??= await startRunner();
      if (!runner || stopping) {
        if (retry) queue.unshift(retry);
        return;
      }
      // Other slots may have taken the last cells while this one was starting a runner.
      const cell: Cell | undefined = retry ?? queue.shift();
      retry = null;
      if (!cell) return;
      options.onStart?.(cell, runner.name);
      let result: RunResult;
      try {
        result = await runner.run(cell, settings(cell));
      } catch (error) {
        if (stopping) return;
        if (!(error instanceof RunnerLost)) throw error;
        live.delete(runner);
        await runner.close({ force: true });
        runner = null;
        const tries = (attempts.get(cell.id) ?? 0) + 1;
        attempts.set(cell.id, tries);
        if (tries < ATTEMPTS) {
          log(`${error.message}; running ${cell.id} again on a fresh worker`);
          retry = cell;
          continue;
        }
        log(`${error.message}; recording ${cell.id} as failed`);
        result = {
          id: cell.id,
          cell: cellRecord(cell),
          status: 'failed',
          error: error.message,
          backend: options.backend,
        };
      }
      if (stopping) return;
      await onResult(result);
    }
  };

  let finished = false;
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.slots) }, () => slot()));
    finished = true;
    if (signal?.aborted) throw new PoolInterrupted();
    if (queue.length > 0) {
      throw new Error(`no worker is left to run the ${queue.length} remaining cells; the last one: ${lastStartError}`);
    }
  } catch (error) {
    if (signal?.aborted) throw new PoolInterrupted();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Idle runners are asked to exit; after an error or an abort they are ended at once.
    await stopAll(!finished);
  }
}
