/**
 * The second half of `batchlab train`: training with the options resolved, then the files a run
 * leaves (history.json, written atomically, and the model directory) and the summary on stdout. A
 * run stopped by Ctrl-C or SIGTERM writes its finished epochs and the model after the last of them,
 * and skips the test evaluation; the exit status is the command's.
 */
import { join } from 'node:path';
import type { useBackend } from '../backend';
import type { LoadedData } from '../data/catalog';
import { writeJsonAtomic } from '../io/atomic-write';
import { saveModel } from '../io/model-files';
import type { ModelBuilder } from '../../models';
import { TrainOptions, evaluate, train } from '../training';
import { plural } from './train-checks';

export interface TrainRun {
  builder: ModelBuilder;
  data: LoadedData;
  /** The trainer's options, as the command's flags give them. */
  options: TrainOptions;
  /** The run's directory. */
  out: string;
  backend: Awaited<ReturnType<typeof useBackend>>;
  log: (line: string) => void;
}

/** Trains, then writes history.json and the model and prints the summary; an interrupted run skips the test. */
export async function trainAndWrite(run: TrainRun): Promise<void> {
  const { builder, data, out, backend, log } = run;
  const { model, history } = await train(builder, data.train, run.options);
  const interrupted = history.stopReason?.kind === 'interrupted';
  try {
    const test = data.test && !interrupted ? await evaluate(model, data.test) : null;
    const trainSeconds = history.epochs.reduce((s, e) => s + e.seconds, 0);
    await writeJsonAtomic(join(out, 'history.json'), {
      command: 'train',
      data: data.description,
      ...history,
      backend,
      test,
    });
    const encoding = { classNames: data.classNames, standardizer: data.standardizer };
    const saved = await saveModel(model, join(out, 'model'), encoding);
    if (history.stopReason && !interrupted) log(`stopped: ${history.stopReason.message}`);
    if (interrupted) process.stderr.write(`${history.stopReason?.message ?? ''}\n`);
    const testLine = test
      ? `test loss ${test.loss.toFixed(4)}${test.accuracy === null ? '' : `, test accuracy ${(100 * test.accuracy).toFixed(2)}%`}`
      : interrupted
        ? 'interrupted: no test evaluation'
        : 'no test split';
    process.stdout.write(
      `${testLine} after ${plural(history.epochs.length, 'epoch')} (${trainSeconds.toFixed(1)}s training)\n`,
    );
    process.stdout.write(`history: ${join(out, 'history.json')}\nmodel:   ${saved.modelJson}\n`);
    if (history.stopReason?.kind === 'non-finite-loss') process.exitCode = 1;
  } finally {
    model.dispose();
  }
}
