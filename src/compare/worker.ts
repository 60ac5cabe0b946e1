/**
 * A worker process for `batchlab compare --jobs k` and for each backend an experiment lists:
 * prepares the experiment once (on its backend), then runs cells on request; or, asked to probe,
 * only says whether a backend starts here. Exits when its parent disconnects or goes away; Ctrl-C is its parent's to handle (the
 * parent ends its workers), so SIGINT from the terminal does not end it on its own.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { probeBackend } from '../backend';
import type { FromWorker, ToWorker } from './runners';
import type { Cell } from '../experiment/cells';
import { planExperiment } from '../experiment/plan';
import { runCell } from '../experiment/run-cell';
import { ExperimentData, prepareExperiment } from '../experiment/setup';
import { resolveSpec } from '../experiment/spec';

let data: ExperimentData | null = null;
let cells = new Map<string, Cell>();

function reply(message: FromWorker): void {
  // A parent that is gone cannot be answered: end quietly instead of failing with EPIPE.
  if (!process.connected) process.exit(0);
  process.send?.(message, undefined, {}, (error: Error | null) => {
    if (error) process.exit(0);
  });
}

/**
 * For the tests of lost workers: BATCHLAB_TEST_WORKER_FAULT="<start or cell id>=<exit:<code> or a
 * signal>[=<marker file>]" makes the worker end itself there; with a marker file, only the first
 * worker to get there does (it creates the file).
 */
function injectFault(at: string): void {
  const [where, how, marker] = (process.env.BATCHLAB_TEST_WORKER_FAULT ?? '').split('=');
  if (where !== at || !how) return;
  if (marker) {
    if (existsSync(marker)) return;
    writeFileSync(marker, `${process.pid}\n`);
  }
  if (how.startsWith('exit:')) process.exit(Number(how.slice(5)));
  process.kill(process.pid, how);
}

process.on('message', (message: ToWorker) => {
  const handle = async (): Promise<void> => {
    if (message.type === 'probe') {
      reply({ type: 'probe', probe: await probeBackend(message.backend) });
    } else if (message.type === 'init') {
      injectFault('start');
      // The spec arrives as JSON (strategies as their labels): resolving it again parses them here.
      const spec = resolveSpec(message.spec);
      data = await prepareExperiment(spec, message.backend, message.threads);
      // A worker started with one of the experiment's backends runs only that backend's cells.
      const planned = planExperiment(spec, data.train.size).cells;
      cells = new Map(planned.filter((c) => c.backend === message.backend).map((c) => [c.id, c]));
      reply({ type: 'ready' });
    } else if (data) {
      const cell = cells.get(message.cellId);
      if (!cell) throw new Error(`cell ${message.cellId} is not in this worker's plan`);
      injectFault(cell.id);
      reply({ type: 'result', result: await runCell(cell, data, message.settings) });
    } else {
      reply({ type: 'error', message: 'run before init' });
    }
  };
  handle().catch((error: unknown) =>
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});

process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => undefined);
