/**
 * `batchlab train`: one training run from the command line. Owns the options, their translation
 * into library calls (backend, data, model, strategy, trainer) and the files a run leaves behind:
 * history.json (written atomically) and the model directory.
 */
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import * as tf from '@tensorflow/tfjs';
import { miniBatch, parseStrategy, Strategy, withMicroBatch } from '../batching';
import { BACKEND_CHOICES, BackendChoice, useBackend } from '../backend';
import { DATASET_NAMES, LoadedData, loadDataset, disposeLoaded } from '../data/catalog';
import { writeJsonAtomic } from '../io/atomic-write';
import { saveModel } from '../io/model-files';
import { BN_CONVENTIONS, BnConvention, MODEL_NAMES, ModelBuilder, ModelName, modelBuilder } from '../../models';
import {
  Callback,
  earlyStopping,
  evaluate,
  OPTIMIZER_NAMES,
  OptimizerName,
  progressBar,
  stopAtAccuracy,
  train,
} from '../training';
import { UsageError, integer, integerList, numberIn, positiveIntegerUpTo, viaLibrary } from './parse';
import { BUDGET_LIMITS } from '../experiment/budget';
import { MAX_SAMPLES } from '../experiment/spec';
import {
  checkOutDir,
  checkStopOptions,
  checkStrategyFits,
  checkTrainingKernels,
  plural,
  trainingSamples,
} from './train-checks';

// Typed constants, so that yargs infers each option as the union of its choices, not one literal.
const DEFAULT_OPTIMIZER: OptimizerName = 'adam';
const DEFAULT_BACKEND: BackendChoice = 'auto';
const DEFAULT_BN_CONVENTION: BnConvention = 'keras';

export function trainOptions(yargs: Argv) {
  return yargs
    .option('data', {
      type: 'string',
      default: 'fashion-mnist-small',
      describe: 'data set: fashion-mnist-small (embedded), fashion-mnist, mnist, blobs, spirals, linear, csv:<file>',
    })
    .option('data-dir', {
      type: 'string',
      describe: 'directory of the IDX files (fashion-mnist default: /usr/share/datasets/fashion-mnist)',
    })
    .option('limit', {
      coerce: positiveIntegerUpTo('limit', MAX_SAMPLES),
      describe: 'use only the first N training samples',
    })
    .option('model', { choices: MODEL_NAMES, default: 'mlp', describe: 'model builder' })
    .option('hidden', { coerce: integerList('hidden'), describe: 'mlp hidden units, e.g. 512,256 [default: 256,128]' })
    .option('filters', { coerce: integerList('filters'), describe: 'cnn filters per conv block [default: 16,32]' })
    .option('batch-norm', {
      type: 'boolean',
      default: false,
      describe: 'add BatchNormalization to each hidden layer (before its activation unless --bn-position after)',
    })
    .option('bn-position', {
      choices: ['before', 'after'] as const,
      default: 'before' as const,
      describe: 'BN before or after the activation',
    })
    .option('bn-convention', {
      choices: BN_CONVENTIONS,
      default: DEFAULT_BN_CONVENTION,
      describe: "BN momentum, epsilon and moving variance as Keras' (biased) or PyTorch's (unbiased) BatchNorm",
    })
    .option('bn-momentum', {
      coerce: numberIn('bn-momentum', 0, 1, { minExclusive: false }),
      describe: "BN moving-average momentum, in the convention's meaning [default: keras 0.9, pytorch 0.1]",
    })
    .option('dropout', {
      coerce: numberIn('dropout', 0, 0.99, { minExclusive: false }),
      describe: 'dropout rate: mlp after each hidden layer, cnn before the output layer [default: 0]',
    })
    .option('strategy', {
      type: 'string',
      default: 'mini:32',
      coerce: viaLibrary('strategy', parseStrategy),
      describe: 'full | sgd | mini:<n>, optionally /micro:<m>',
    })
    .option('micro-batch', {
      coerce: positiveIntegerUpTo('micro-batch', MAX_SAMPLES),
      describe: 'accumulate gradients over chunks of this size (full and mini)',
    })
    .option('drop-last', {
      type: 'boolean',
      default: false,
      describe: 'drop the last, smaller mini-batch of each epoch',
    })
    .option('optimizer', { choices: OPTIMIZER_NAMES, default: DEFAULT_OPTIMIZER, describe: 'optimizer' })
    .option('lr', {
      coerce: numberIn('lr', 0, 10),
      describe: 'learning rate [default: adam 0.001, momentum 0.01, sgd 0.05]',
    })
    .option('epochs', {
      coerce: positiveIntegerUpTo('epochs', BUDGET_LIMITS.epochs),
      default: 5,
      describe: 'epochs',
    })
    .option('seed', { coerce: integer('seed'), default: 0, describe: 'seed for weights, splits and sample order' })
    .option('validation', {
      coerce: numberIn('validation', 0, 0.9),
      describe: 'hold out this fraction of the training data for validation',
    })
    .option('target', { coerce: numberIn('target', 0, 1), describe: 'stop once (validation) accuracy reaches this' })
    .option('patience', {
      coerce: positiveIntegerUpTo('patience', BUDGET_LIMITS.epochs),
      describe: 'early stopping: epochs without validation-loss improvement',
    })
    .option('allow-batch-norm-batch-of-one', {
      type: 'boolean',
      default: false,
      describe: 'train dense BatchNorm on 1-sample batches anyway',
    })
    .option('backend', { choices: BACKEND_CHOICES, default: DEFAULT_BACKEND, describe: 'tfjs backend' })
    .option('kernels', {
      type: 'boolean',
      default: true,
      describe: "use batchlab's training kernels on wasm and cpu (--no-kernels: stock tfjs kernels)",
    })
    .option('out', { type: 'string', describe: 'output directory [default: runs/train-<time>]' })
    .option('overwrite', {
      type: 'boolean',
      default: false,
      describe: 'replace the run already in --out (history.json, model/)',
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .check((argv) => {
      strategyOf(argv);
      checkDataName(argv.data);
      checkModelOptions(argv);
      return true;
    });
}

function checkDataName(name: string): void {
  const known = DATASET_NAMES.filter((n) => !n.includes('<'));
  if (!known.includes(name as (typeof known)[number]) && !/^csv:.+/.test(name)) {
    throw new UsageError(`--data must be one of ${DATASET_NAMES.join(', ')}, got ${name}`);
  }
}

/**
 * The builders check their own options (each convention's momentum range: [0, 1) for keras, (0, 1]
 * for pytorch; options a model does not take); their errors become usage errors naming the flag.
 */
function checkModelOptions(args: Parameters<typeof buildModel>[0]): void {
  try {
    buildModel(args);
  } catch (error) {
    const message = (error as Error).message;
    throw new UsageError(`${/momentum/.test(message) ? '--bn-momentum' : '--model'}: ${message}`);
  }
}

type TrainArgs = Awaited<ReturnType<typeof trainOptions>['argv']>;

/** The parsed --strategy with --drop-last and --micro-batch applied. */
function strategyOf(args: Pick<TrainArgs, 'strategy' | 'drop-last' | 'micro-batch'>): Strategy {
  const parsed = args.strategy;
  const strategy =
    args['drop-last'] && parsed.kind === 'mini' && parsed.n !== null
      ? miniBatch(parsed.n, { shuffle: parsed.shuffle, dropLast: true, microBatch: parsed.microBatch })
      : parsed;
  const microBatch = args['micro-batch'];
  if (microBatch === undefined) return strategy;
  if (strategy.microBatch !== undefined) {
    throw new UsageError(`--micro-batch ${microBatch}: --strategy ${strategy.label} already sets a micro-batch`);
  }
  return viaLibrary('micro-batch', () => withMicroBatch(strategy, microBatch))(microBatch);
}

function buildModel(
  args: Pick<
    TrainArgs,
    'model' | 'batch-norm' | 'bn-position' | 'bn-convention' | 'bn-momentum' | 'filters' | 'hidden' | 'dropout'
  >,
): ModelBuilder {
  const bn = {
    batchNorm: args['batch-norm'],
    bnPosition: args['bn-position'],
    bnConvention: args['bn-convention'],
    momentum: args['bn-momentum'],
  };
  const options = { ...bn, hidden: args.hidden, filters: args.filters, dropout: args.dropout };
  return modelBuilder(args.model as ModelName, options);
}

export async function runTrain(args: TrainArgs): Promise<void> {
  const log = (line: string): void => {
    if (!args.quiet) process.stderr.write(`${line}\n`);
  };
  const out = resolve(args.out ?? join('runs', `train-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  checkOutDir(out, args.overwrite);
  const backend = await useBackend(args.backend, { kernels: args.kernels });
  log(`backend: ${backend.name} (${backend.device})${backend.notes.map((n) => `\n  ${n}`).join('')}`);
  const strategy = strategyOf(args);
  const builder = buildModel(args);
  const data = await loadDataset(args.data, { dataDir: args['data-dir'], limit: args.limit, seed: args.seed });
  try {
    checkBeforeTraining(args, strategy, builder, data);
    log(`data: ${data.description}${validationNote(data.train.size, args.validation)}`);
    log(`model: ${builder.describe()}`);
    // The trainer knows the size of the training part once any validation split is made.
    const describeRun: Callback = {
      onTrainBegin: (info) =>
        log(
          `strategy: ${info.strategy} (${plural(info.updatesPerEpoch, 'update')}/epoch), optimizer ${args.optimizer}`,
        ),
    };
    const callbacks: Callback[] = args.quiet ? [] : [describeRun, progressBar()];
    if (args.target !== undefined) callbacks.push(stopAtAccuracy(args.target));
    if (args.patience !== undefined) callbacks.push(earlyStopping({ patience: args.patience, monitor: 'valLoss' }));
    const { model, history } = await train(builder, data.train, {
      strategy,
      optimizer: args.optimizer,
      learningRate: args.lr,
      epochs: args.epochs,
      seed: args.seed,
      validation: args.validation,
      callbacks,
      allowBatchNormBatchOfOne: args['allow-batch-norm-batch-of-one'],
      warn: log,
    });
    try {
      const test = data.test ? await evaluate(model, data.test) : null;
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
      if (history.stopReason) log(`stopped: ${history.stopReason.message}`);
      const testLine = test
        ? `test loss ${test.loss.toFixed(4)}${test.accuracy === null ? '' : `, test accuracy ${(100 * test.accuracy).toFixed(2)}%`}`
        : 'no test split';
      process.stdout.write(
        `${testLine} after ${plural(history.epochs.length, 'epoch')} (${trainSeconds.toFixed(1)}s training)\n`,
      );
      process.stdout.write(`history: ${join(out, 'history.json')}\nmodel:   ${saved.modelJson}\n`);
      if (history.stopReason?.kind === 'non-finite-loss') process.exitCode = 1;
    } finally {
      model.dispose();
    }
  } finally {
    disposeLoaded(data);
    tf.disposeVariables();
  }
}

/** Everything refused once the data is loaded, before a single update. */
function checkBeforeTraining(args: TrainArgs, strategy: Strategy, builder: ModelBuilder, data: LoadedData): void {
  checkStopOptions(args, data.train.task, args.data);
  checkStrategyFits(strategy, data.train.size, args.validation);
  const probe = builder.build({ inputShape: data.train.inputShape, outputs: data.train.numClasses }, args.seed);
  try {
    checkTrainingKernels(probe, args.model);
  } finally {
    probe.dispose();
  }
}

function validationNote(size: number, validation: number | undefined): string {
  if (validation === undefined) return '';
  const train = trainingSamples(size, validation);
  return ` (training on ${train}, ${size - train} held out for validation)`;
}
