/**
 * Where cells run: in this process, or in k worker processes (`--jobs k`, worker-process.ts) that
 * each start the backend and load the data once. A cell's result does not depend on where it ran:
 * each cell is seeded on its own and workers use the same backend and data. Which cell runs on which
 * runner, and what happens when one is lost, is pool.ts's.
 */
import type { BackendName, BackendProbe } from '../backend';
import type { Cell } from '../experiment/cells';
import type { CellSettings } from '../experiment/run-cell';
import type { RunResult } from '../experiment/result';
import type { ExperimentData } from '../experiment/setup';
import { runCell } from '../experiment/run-cell';
import type { ExperimentSpec } from '../experiment/spec';
import type { Callback, StopReason, TrainControl } from '../training';

// A run stopped by Ctrl-C is discarded, so its reason only has to say what happened.
const INTERRUPTED: StopReason = { kind: 'callback', message: 'interrupted' };

export interface CellRunner {
  /** "worker 2 (pid 1234)", for messages about it. */
  readonly name: string;
  /** The cell's result (a failed cell is a result); rejects with RunnerLost when the runner died. */
  run(cell: Cell, settings: CellSettings): Promise<RunResult>;
  /** Ends the runner: at once with `force` (a cell in flight is abandoned), else once it is idle. */
  close(options?: { force?: boolean }): Promise<void>;
}

/** A runner that is gone (a worker process that exited, was killed or could not start), and why. */
export class RunnerLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunnerLost';
  }
}

export function inProcessRunner(data: ExperimentData): CellRunner {
  return {
    name: 'this process',
    run: (cell, settings) => runCell(cell, data, settings),
    close: () => Promise.resolve(),
  };
}

/**
 * Stops a run in this process soon after `signal` aborts. Training yields to the event loop only
 * for I/O, so without a pause a signal handler would wait for the whole run: this callback gives the
 * event loop a turn at each batch of losses and each epoch end, at most every 100 ms.
 */
export function stopWhenAborted(signal: AbortSignal): Callback {
  let last = performance.now();
  const check = async (control: TrainControl): Promise<void> => {
    if (performance.now() - last >= 100) {
      await new Promise((resolve) => setImmediate(resolve));
      last = performance.now();
    }
    if (signal.aborted) control.stop(INTERRUPTED);
  };
  return {
    onStep: (_progress, control) => {
      if (signal.aborted) control.stop(INTERRUPTED);
    },
    onLosses: (_records, control) => check(control),
    onEpochEnd: (_record, control) => check(control),
  };
}

/** Messages between the parent and a worker (worker.ts). */
/**
 * A worker plans the same spec itself, so a cell travels by its id; with the experiment's backends
 * it is started with one of them. A probe asks only whether a backend starts (and then the worker
 * is ended).
 */
export type ToWorker =
  | { type: 'init'; spec: ExperimentSpec; backend?: BackendName; threads?: number }
  | { type: 'run'; cellId: string; settings: CellSettings }
  | { type: 'probe'; backend: BackendName };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; result: RunResult }
  | { type: 'error'; message: string }
  | { type: 'probe'; probe: BackendProbe };
