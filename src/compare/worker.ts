/** A worker process for `batchlab compare --jobs k`: prepares the experiment once, then runs cells on request. */
import type { FromWorker, ToWorker } from './runners';
import { ExperimentData, prepareExperiment } from '../experiment/setup';
import { runCell } from '../experiment/run-cell';

let data: ExperimentData | null = null;

function reply(message: FromWorker): void {
  process.send?.(message);
}

process.on('message', (message: ToWorker) => {
  const handle = async (): Promise<void> => {
    if (message.type === 'init') {
      data = await prepareExperiment(message.spec);
      reply({ type: 'ready' });
    } else if (data) {
      reply({ type: 'result', result: await runCell(message.cell, data, message.settings) });
    } else {
      reply({ type: 'error', message: 'run before init' });
    }
  };
  handle().catch((error: unknown) =>
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});

process.on('disconnect', () => process.exit(0));
