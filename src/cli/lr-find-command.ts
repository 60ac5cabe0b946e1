/**
 * `batchlab lr-find`: the learning-rate range test (the library's lrFind) on a model as `train`
 * would build it. Owns its options, the progress lines, and the files it leaves: lr-find.json (every
 * update's rate and loss, the suggestion and its rule) and the plot as lr-find.svg and .png, all
 * written atomically.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import * as tf from '@tensorflow/tfjs';
import { parseStrategy } from '../batching';
import { BACKEND_CHOICES, BackendChoice, useBackend } from '../backend';
import { disposeLoaded, loadDataset } from '../data/catalog';
import { InputError } from '../data/input-error';
import { writeJsonAtomic } from '../io/atomic-write';
import { writeLrFindChart } from '../report/lr-find-chart';
import { LrFindPoint, OPTIMIZER_NAMES, OptimizerName, lrFind } from '../training';
import { BN_CONVENTIONS, BnConvention, MODEL_NAMES } from '../../models';
import { UsageError, integer, integerList, numberIn, positiveInteger, positiveNumber, viaLibrary } from './parse';
import { buildModel, checkDataName, checkModelOptions, strategyOf } from './train-command';
import { checkStrategyFits, checkTrainingKernels } from './train-checks';

const DEFAULT_OPTIMIZER: OptimizerName = 'adam';
const DEFAULT_BACKEND: BackendChoice = 'auto';
const DEFAULT_BN_CONVENTION: BnConvention = 'keras';

export function lrFindOptions(yargs: Argv) {
  return yargs
    .option('data', { type: 'string', default: 'fashion-mnist-small', describe: 'data set, as for train' })
    .option('data-dir', { type: 'string', describe: 'directory of the IDX files' })
    .option('limit', { coerce: positiveInteger('limit'), describe: 'use only the first N training samples' })
    .option('model', { choices: MODEL_NAMES, default: 'mlp', describe: 'model builder' })
    .option('hidden', { coerce: integerList('hidden'), describe: 'mlp hidden units [default: 256,128]' })
    .option('filters', { coerce: integerList('filters'), describe: 'cnn filters per conv block [default: 16,32]' })
    .option('batch-norm', { type: 'boolean', default: false, describe: 'BatchNormalization in each hidden layer' })
    .option('bn-position', {
      choices: ['before', 'after'] as const,
      default: 'before' as const,
      describe: 'BN before or after the activation',
    })
    .option('bn-convention', {
      choices: BN_CONVENTIONS,
      default: DEFAULT_BN_CONVENTION,
      describe: 'BN convention, as for train',
    })
    .option('bn-momentum', {
      coerce: numberIn('bn-momentum', 0, 1, { minExclusive: false }),
      describe: 'BN momentum, as for train',
    })
    .option('dropout', {
      coerce: numberIn('dropout', 0, 0.99, { minExclusive: false }),
      describe: 'dropout rate [default: 0]',
    })
    .option('strategy', {
      type: 'string',
      default: 'mini:32',
      coerce: viaLibrary('strategy', parseStrategy),
      describe: 'full | sgd | mini:<n>',
    })
    .option('micro-batch', {
      coerce: positiveInteger('micro-batch'),
      describe: 'accumulate gradients over chunks of this size',
    })
    .option('drop-last', {
      type: 'boolean',
      default: false,
      describe: 'drop the last, smaller mini-batch of each epoch',
    })
    .option('optimizer', { choices: OPTIMIZER_NAMES, default: DEFAULT_OPTIMIZER, describe: 'optimizer' })
    .option('min-lr', { coerce: positiveNumber('min-lr'), default: 1e-7, describe: 'rate of the first update' })
    .option('max-lr', { coerce: positiveNumber('max-lr'), default: 10, describe: 'rate of the last update' })
    .option('updates', {
      coerce: positiveInteger('updates'),
      default: 100,
      describe: 'most updates (the rate reaches --max-lr at the last)',
    })
    .option('divergence', {
      coerce: positiveNumber('divergence'),
      default: 4,
      describe: 'stop once the smoothed loss exceeds this many times the best',
    })
    .option('seed', { coerce: integer('seed'), default: 0, describe: 'seed for weights and sample order' })
    .option('backend', { choices: BACKEND_CHOICES, default: DEFAULT_BACKEND, describe: 'tfjs backend' })
    .option('kernels', {
      type: 'boolean',
      default: true,
      describe: "batchlab's training kernels on wasm, cpu and webgpu",
    })
    .option('out', { type: 'string', describe: 'output directory [default: runs/lr-find-<time>]' })
    .option('overwrite', { type: 'boolean', default: false, describe: 'replace the test already in --out' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .check((argv) => {
      checkDataName(argv.data);
      checkModelOptions(argv);
      strategyOf(argv);
      if (argv['max-lr'] <= argv['min-lr'])
        throw new UsageError(`--max-lr ${argv['max-lr']} must exceed --min-lr ${argv['min-lr']}`);
      if (argv.updates < 2) throw new UsageError(`--updates must be at least 2, got ${argv.updates}`);
      if (argv.divergence <= 1) throw new UsageError(`--divergence must be above 1, got ${argv.divergence}`);
      return true;
    });
}

type LrFindArgs = Awaited<ReturnType<typeof lrFindOptions>['argv']>;

export async function runLrFind(args: LrFindArgs): Promise<void> {
  const log = (line: string): void => {
    if (!args.quiet) process.stderr.write(`${line}\n`);
  };
  const out = resolve(args.out ?? join('runs', `lr-find-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  if (existsSync(join(out, 'lr-find.json')) && !args.overwrite) {
    throw new InputError(`--out ${out} already holds a range test (lr-find.json); pass --overwrite to replace it`);
  }
  const backend = await useBackend(args.backend, { kernels: args.kernels });
  log(`backend: ${backend.name} (${backend.device})`);
  const strategy = strategyOf(args);
  const builder = buildModel(args);
  const data = await loadDataset(args.data, { dataDir: args['data-dir'], limit: args.limit, seed: args.seed });
  try {
    checkStrategyFits(strategy, data.train.size, undefined);
    const model = builder.build({ inputShape: data.train.inputShape, outputs: data.train.numClasses }, args.seed);
    try {
      checkTrainingKernels(model, args.model);
      log(
        `data: ${data.description}\nmodel: ${builder.describe()}\nstrategy: ${strategy.label}, optimizer ${args.optimizer}`,
      );
      const options = { min: args['min-lr'], max: args['max-lr'], updates: args.updates };
      log(`rate from ${options.min} to ${options.max} over at most ${options.updates} updates`);
      const result = await lrFind(model, data.train, {
        strategy,
        optimizer: args.optimizer,
        minLr: options.min,
        maxLr: options.max,
        updates: options.updates,
        divergence: args.divergence,
        seed: args.seed,
        onUpdate: args.quiet ? undefined : progress(),
      });
      const title = `Learning-rate range test: ${args.model}, ${strategy.label}, ${args.optimizer}`;
      const record = { command: 'lr-find', data: data.description, model: builder.describe(), backend, ...result };
      await writeJsonAtomic(join(out, 'lr-find.json'), record);
      const plots = await writeLrFindChart(join(out, 'lr-find'), result, title);
      const ran = result.points.length;
      process.stdout.write(
        `${result.suggestion ? `suggested learning rate: ${Number(result.suggestion.learningRate.toPrecision(3))}\n  rule: ${result.suggestion.rule}\n` : 'no suggestion: no finite loss\n'}` +
          `${result.stopReason ? `stopped after ${ran} of ${result.updates} updates: ${result.stopReason}` : `ran all ${ran} updates without diverging (raise --max-lr to see the divergence)`}\n` +
          `plot:    ${plots.join(', ')}\nresults: ${join(out, 'lr-find.json')}\n`,
      );
    } finally {
      model.dispose();
    }
  } finally {
    disposeLoaded(data);
    tf.disposeVariables();
  }
}

/** A line every tenth of the updates: the rate, the loss and the smoothed loss. */
function progress(): (point: LrFindPoint, updates: number) => void {
  return (p, updates) => {
    const every = Math.max(1, Math.round(updates / 10));
    if ((p.update + 1) % every !== 0 && p.update !== 0) return;
    process.stderr.write(
      `update ${p.update + 1}/${updates}  lr ${p.learningRate.toExponential(2)}  loss ${p.loss.toFixed(4)}  smoothed ${p.smoothedLoss.toFixed(4)}\n`,
    );
  };
}
