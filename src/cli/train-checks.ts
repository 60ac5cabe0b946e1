/**
 * What `batchlab train` refuses before it trains: an output that would replace a run or is a
 * file, stopping options that would watch the wrong number, a batch larger than the data, and a
 * model whose training kernels the active backend lacks. Each message names the option (and the
 * combination) at fault. Parsing single option values belongs to ./parse; training to the library.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Strategy } from '../batching';
import type { LrSchedule } from '../training';
import { InputError } from '../data/input-error';
import { checkpointEpochs } from '../io/checkpoint-files';
import type { Task } from '../data/dataset';
import { checkBatchNormBatchSize } from '../training/batchnorm-guard';
import { UsageError } from './parse';

/** Files a finished (or interrupted) run leaves in its directory. */
const RUN_FILES = ['history.json', 'model', 'checkpoints'];

/** Refuses an --out that is a file, or a directory holding a run unless `overwrite`. */
export function checkOutDir(out: string, overwrite: boolean): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) {
    throw new InputError(`--out ${out}: a file is there, not a directory; name a directory for the run's files`);
  }
  const found = RUN_FILES.filter((name) => existsSync(join(out, name)));
  if (found.length > 0 && !overwrite) {
    throw new InputError(
      `--out ${out} already holds a run (${found.join(', ')}); pass --overwrite to replace it, or name another directory`,
    );
  }
}

/** Refuses a --resume directory without a checkpoint to continue from. */
export async function checkResumeDir(dir: string): Promise<void> {
  if ((await checkpointEpochs(join(dir, 'checkpoints'))).length > 0) return;
  throw new InputError(
    `--resume ${dir}: no checkpoint in ${join(dir, 'checkpoints')} (a run writes them with --checkpoint-every <epochs>)`,
  );
}

export interface StopOptions {
  target?: number;
  patience?: number;
  validation?: number;
}

/**
 * --target and --patience watch the validation split: training accuracy and loss are averaged over
 * weights that change during the epoch, and would stop a run on a number nobody asked for.
 */
export function checkStopOptions(options: StopOptions, task: Task, data: string): void {
  if (options.target !== undefined && task === 'regression') {
    throw new UsageError(`--target ${options.target}: --data ${data} is a regression data set, it has no accuracy`);
  }
  if (options.validation !== undefined) return;
  if (options.target !== undefined) {
    throw new UsageError(`--target ${options.target} stops on validation accuracy: add --validation <fraction>`);
  }
  if (options.patience !== undefined) {
    throw new UsageError(`--patience ${options.patience} watches the validation loss: add --validation <fraction>`);
  }
}

/** The samples training sees once a validation fraction is held out (as splitDataset counts them). */
export function trainingSamples(size: number, validation: number | undefined): number {
  return validation === undefined ? size : size - Math.round(size * validation);
}

export function checkStrategyFits(strategy: Strategy, size: number, validation: number | undefined): void {
  const trainSize = trainingSamples(size, validation);
  if (strategy.n === null || strategy.n <= trainSize) return;
  const held =
    validation === undefined ? '' : ` (${size} less the ${size - trainSize} --validation ${validation} holds out)`;
  throw new UsageError(
    `--strategy ${strategy.label}: batch size ${strategy.n} is larger than the ${trainSize} training samples${held}; use a smaller n or full`,
  );
}

/**
 * The trainer refuses dense BatchNorm on chunks of one sample; checked here on the built model, so
 * that the refusal (which names the layers, the cause and the fix) is a usage error before training.
 */
export function checkBatchOfOne(
  model: tf.LayersModel,
  strategy: Strategy,
  size: number,
  options: { validation?: number; 'allow-batch-norm-batch-of-one': boolean },
): void {
  try {
    checkBatchNormBatchSize(
      model,
      strategy,
      trainingSamples(size, options.validation),
      options['allow-batch-norm-batch-of-one'],
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Refuses an --lr-schedule the run cannot hold (a one-cycle too short, a warm-up as long as the run)
 * or within which it would not do what it says (a step that never comes, a cosine period longer than
 * the run): such a run would train as if it had no schedule, under a name that says it had one.
 */
export function checkScheduleFits(schedule: LrSchedule, strategy: Strategy, trainSize: number, epochs: number): void {
  const updatesPerEpoch = strategy.updatesPerEpoch(trainSize);
  const run = { updatesPerEpoch, totalUpdates: epochs * updatesPerEpoch };
  let why: string | null;
  try {
    schedule.resolve(run);
    why = schedule.misfit?.(run) ?? null;
  } catch (error) {
    why = (error as Error).message;
  }
  if (why !== null) {
    throw new UsageError(
      `--lr-schedule ${schedule.label}: ${why} (${plural(epochs, 'epoch')} of ${plural(updatesPerEpoch, 'update')})`,
    );
  }
}

/** Kernels a layer's forward and backward passes need beyond the dense ones every backend has. */
const TRAINING_KERNELS: Record<string, string[]> = {
  Conv2D: ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'],
  MaxPooling2D: ['MaxPool', 'MaxPoolGrad'],
};

/** Refuses a model whose layers need a kernel the active backend has not registered. */
export function checkTrainingKernels(model: tf.LayersModel, modelName: string): void {
  const backend = tf.getBackend();
  const needed = new Set(model.layers.flatMap((layer) => TRAINING_KERNELS[layer.getClassName()] ?? []));
  const missing = [...needed].filter((kernel) => tf.getKernel(kernel, backend) === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `--model ${modelName} cannot train on the ${backend} backend as started: it lacks the ${missing.join(', ')} kernel${missing.length === 1 ? '' : 's'} (with --backend wasm, leave out --no-kernels)`,
    );
  }
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
