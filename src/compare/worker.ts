/** A worker process for `batchlab compare --jobs k`: prepares the experiment once, then runs cells on request. */
import type { FromWorker, ToWorker } from './runners';
import type { Cell } from '../experiment/cells';
import { planExperiment } from '../experiment/plan';
import { runCell } from '../experiment/run-cell';
import { ExperimentData, prepareExperiment } from '../experiment/setup';
import { resolveSpec } from '../experiment/spec';

let data: ExperimentData | null = null;
let cells = new Map<string, Cell>();

function reply(message: FromWorker): void {
  process.send?.(message);
}

process.on('message', (message: ToWorker) => {
  const handle = async (): Promise<void> => {
    if (message.type === 'init') {
      // The spec arrives as JSON (strategies as their labels): resolving it again parses them here.
      const spec = resolveSpec(message.spec);
      data = await prepareExperiment(spec);
      cells = new Map(planExperiment(spec, data.train.size).cells.map((c) => [c.id, c]));
      reply({ type: 'ready' });
    } else if (data) {
      const cell = cells.get(message.cellId);
      if (!cell) throw new Error(`cell ${message.cellId} is not in this worker's plan`);
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
