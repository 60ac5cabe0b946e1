/**
 * `batchlab train`: one training run from the command line. Owns the options, their translation
 * into library calls (backend, data, model, strategy, trainer) and the files a run leaves behind:
 * history.json (written atomically), the model directory and, with --checkpoint-every, checkpoints/
 * (which --resume continues from).
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import * as tf from '@tensorflow/tfjs';
import { miniBatch, parseStrategy, Strategy, withMicroBatch, withoutMicroBatch } from '../batching';
import { BACKEND_CHOICES, BackendChoice, MAX_THREADS, useBackend } from '../backend';
import { DATASET_NAMES, LoadedData, loadDataset, disposeLoaded } from '../data/catalog';
import { exitCodeFor, interruptOnSignals } from '../compare/interrupt';
import {
  BN_CONVENTIONS,
  BnConvention,
  MODEL_NAMES,
  ModelBuilder,
  ModelName,
  modelBuilder,
  parseBatchRenorm,
} from '../../models';
import { checkGhostBatches, exactAccumulationNote } from '../training/batchnorm-guard';
import {
  BN_ACCUMULATIONS,
  Callback,
  earlyStopping,
  OPTIMIZER_NAMES,
  LR_SCHEDULE_SYNTAX,
  OptimizerName,
  parseLrSchedule,
  progressBar,
  resolveBnAccumulation,
  stopAtAccuracy,
} from '../training';
import { trainAndWrite } from './train-run';
import {
  UsageError,
  integer,
  integerList,
  numberIn,
  positiveInteger,
  positiveIntegerUpTo,
  positiveNumber,
  viaLibrary,
} from './parse';
import { BUDGET_LIMITS } from '../experiment/budget';
import { MAX_SAMPLES } from '../experiment/spec';
import {
  checkBatchOfOne,
  checkOutDir,
  checkScheduleFits,
  checkResumeDir,
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
    .option('head-batch-norm', {
      type: 'boolean',
      describe:
        'cnn: BatchNorm in the dense head too (--no-head-batch-norm: in the convolutions only, which trains at batch size 1) [default: true]',
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
    .option('ghost-batch', {
      coerce: positiveInteger('ghost-batch'),
      describe: 'ghost BatchNorm: normalise each batch in groups of this many samples (needs --batch-norm)',
    })
    .option('batch-renorm', {
      type: 'string',
      coerce: viaLibrary('batch-renorm', parseBatchRenorm),
      describe:
        "batch renormalization (needs --batch-norm); optional schedule 'rMax=3,dMax=5,relaxFrom=5000,rMaxAt=40000,dMaxAt=25000' (the paper's)",
    })
    .option('allow-short-ghost-batch', {
      type: 'boolean',
      default: false,
      describe: 'train ghost BN whose group size does not divide every batch (the last group shorter)',
    })
    .option('bn-accumulation', {
      type: 'string',
      default: 'chunk',
      coerce: viaLibrary('bn-accumulation', resolveBnAccumulation),
      describe: `BatchNorm under --micro-batch: ${BN_ACCUMULATIONS.join(' or ')} (chunk: each chunk normalised on its own, ghost BN with g = the micro-batch; exact: BN over the whole batch)`,
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
    .option('lr-schedule', {
      type: 'string',
      coerce: viaLibrary('lr-schedule', parseLrSchedule),
      describe: `learning rate per update as a factor of --lr, e.g. warmup:500+cosine (${LR_SCHEDULE_SYNTAX.replace(/^expected /, '')}) [default: constant]`,
    })
    .option('clip-norm', {
      coerce: positiveNumber('clip-norm'),
      describe: "clip each update's gradient to this global norm",
    })
    .option('clip-value', {
      coerce: positiveNumber('clip-value'),
      describe: "clip each element of an update's gradient to [-v, v]",
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
      describe: "use batchlab's training kernels on wasm, cpu and webgpu (--no-kernels: stock tfjs kernels)",
    })
    .option('threads', {
      coerce: positiveIntegerUpTo('threads', MAX_THREADS),
      describe: 'threads the wasm backend computes with [default: the cores this process may use]',
    })
    .option('out', { type: 'string', describe: 'output directory [default: runs/train-<time>]' })
    .option('overwrite', {
      type: 'boolean',
      default: false,
      describe: 'replace the run already in --out (history.json, model/)',
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .option('checkpoint-every', {
      coerce: positiveInteger('checkpoint-every'),
      describe: 'write a checkpoint into <out>/checkpoints every n epochs and after the last',
    })
    .option('resume', {
      type: 'string',
      describe: 'continue the run in this directory from its last checkpoint (same options as it was started with)',
    })
    .check((argv) => {
      if (argv.resume !== undefined && argv.out !== undefined && resolve(argv.out) !== resolve(argv.resume)) {
        throw new UsageError(
          `--resume ${argv.resume} continues the run in that directory: leave out --out ${argv.out}`,
        );
      }
      strategyOf(argv);
      checkDataName(argv.data);
      checkModelOptions(argv);
      return true;
    });
}

export function checkDataName(name: string): void {
  const known = DATASET_NAMES.filter((n) => !n.includes('<'));
  if (!known.includes(name as (typeof known)[number]) && !/^csv:.+/.test(name)) {
    throw new UsageError(`--data must be one of ${DATASET_NAMES.join(', ')}, got ${name}`);
  }
}

/**
 * The builders check their own options (each convention's momentum range: [0, 1) for keras, (0, 1]
 * for pytorch; options a model does not take); their errors become usage errors naming the flag.
 */
export function checkModelOptions(args: Parameters<typeof buildModel>[0]): void {
  try {
    buildModel(args);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // The builders name their options as the library does; a user of the command line reads flags.
    const message = (error as Error).message
      .replace(/\bheadBatchNorm\b/g, '--head-batch-norm')
      .replace('(batchNorm applies to', '(--batch-norm applies to');
    const flag = /momentum/.test(message)
      ? '--bn-momentum'
      : /^ghostBatch/.test(message)
        ? '--ghost-batch'
        : /^batchRenorm/.test(message)
          ? '--batch-renorm'
          : '--model';
    throw new UsageError(`${flag}: ${message}`);
  }
}

type TrainArgs = Awaited<ReturnType<typeof trainOptions>['argv']>;

/** The parsed --strategy with --drop-last and --micro-batch applied. */
export function strategyOf(args: Pick<TrainArgs, 'strategy' | 'drop-last' | 'micro-batch'>): Strategy {
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

export function buildModel(
  args: Pick<
    TrainArgs,
    'model' | 'batch-norm' | 'bn-position' | 'bn-convention' | 'bn-momentum' | 'filters' | 'hidden' | 'dropout'
  > &
    Partial<Pick<TrainArgs, 'head-batch-norm' | 'ghost-batch' | 'batch-renorm'>>,
): ModelBuilder {
  if (args['head-batch-norm'] !== undefined && !args['batch-norm']) {
    throw new UsageError(
      `--${args['head-batch-norm'] ? '' : 'no-'}head-batch-norm: without --batch-norm there is no BatchNorm to place`,
    );
  }
  const bn = {
    batchNorm: args['batch-norm'],
    bnPosition: args['bn-position'],
    bnConvention: args['bn-convention'],
    momentum: args['bn-momentum'],
    ghostBatch: args['ghost-batch'],
    batchRenorm: args['batch-renorm'],
  };
  const options = {
    ...bn,
    headBatchNorm: args['head-batch-norm'],
    hidden: args.hidden,
    filters: args.filters,
    dropout: args.dropout,
  };
  return modelBuilder(args.model as ModelName, options);
}

export async function runTrain(args: TrainArgs): Promise<void> {
  const log = (line: string): void => {
    if (!args.quiet) process.stderr.write(`${line}\n`);
  };
  const out = resolve(
    args.resume ?? args.out ?? join('runs', `train-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  const checkpoints = join(out, 'checkpoints');
  if (args.resume === undefined) checkOutDir(out, args.overwrite);
  else await checkResumeDir(out);
  const backend = await useBackend(args.backend, { kernels: args.kernels, threads: args.threads });
  const threads = backend.threads === null ? '' : `, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}`;
  log(`backend: ${backend.name} (${backend.device}${threads})${backend.notes.map((n) => `\n  ${n}`).join('')}`);
  const strategy = strategyOf(args);
  const builder = buildModel(args);
  const data = await loadDataset(args.data, { dataDir: args['data-dir'], limit: args.limit, seed: args.seed });
  try {
    const exactNote = checkBeforeTraining(args, strategy, builder, data);
    // The replaced run's checkpoints go with it: a later --resume must not find them.
    if (args.overwrite && args.resume === undefined) await rm(checkpoints, { recursive: true, force: true });
    log(`data: ${data.description}${validationNote(data.train.size, args.validation)}`);
    log(`model: ${builder.describe()}`);
    // Chunk mode is named by the trainer's warning; exact mode by this line.
    if (exactNote) log(exactNote);
    // The trainer knows the size of the training part once any validation split is made.
    const describeRun: Callback = {
      onTrainBegin: (info) => {
        log(
          `strategy: ${info.strategy} (${plural(info.updatesPerEpoch, 'update')}/epoch), optimizer ${args.optimizer}${trainingControl(args)}`,
        );
        const done = info.completedEpochs.length;
        if (args.resume !== undefined) log(`resuming after epoch ${done} from the checkpoint in ${checkpoints}`);
      },
    };
    const callbacks: Callback[] = args.quiet ? [] : [describeRun, progressBar()];
    if (args.target !== undefined) callbacks.push(stopAtAccuracy(args.target));
    if (args.patience !== undefined) callbacks.push(earlyStopping({ patience: args.patience, monitor: 'valLoss' }));
    // Ctrl-C or SIGTERM: the finished epochs and the model as it was after the last one are written.
    const interrupt = interruptOnSignals((signal) =>
      process.stderr.write(`\n${signal}: stopping; writing the finished epochs (again to exit at once)\n`),
    );
    try {
      const options = {
        strategy,
        optimizer: args.optimizer,
        learningRate: args.lr,
        schedule: args['lr-schedule'],
        clipNorm: args['clip-norm'],
        clipValue: args['clip-value'],
        epochs: args.epochs,
        seed: args.seed,
        validation: args.validation,
        callbacks,
        allowBatchNormBatchOfOne: args['allow-batch-norm-batch-of-one'],
        allowShortGhostBatch: args['allow-short-ghost-batch'],
        bnAccumulation: args['bn-accumulation'],
        warn: log,
        signal: interrupt.signal,
        checkpoint:
          args['checkpoint-every'] === undefined ? undefined : { dir: checkpoints, every: args['checkpoint-every'] },
        resume: args.resume === undefined ? undefined : checkpoints,
      };
      await trainAndWrite({ builder, data, options, out, backend, log });
    } finally {
      interrupt.dispose();
    }
    const signal = interrupt.received();
    if (signal) process.exitCode = exitCodeFor(signal);
  } finally {
    disposeLoaded(data);
    tf.disposeVariables();
  }
}

/**
 * Everything refused once the data is loaded, before a single update; returns what exact BN
 * accumulation computes when it applies.
 */
function checkBeforeTraining(
  args: TrainArgs,
  strategy: Strategy,
  builder: ModelBuilder,
  data: LoadedData,
): string | null {
  checkStopOptions(args, data.train.task, args.data);
  checkStrategyFits(strategy, data.train.size, args.validation);
  const schedule = args['lr-schedule'];
  if (schedule) checkScheduleFits(schedule, strategy, trainingSamples(data.train.size, args.validation), args.epochs);
  const probe = builder.build({ inputShape: data.train.inputShape, outputs: data.train.numClasses }, args.seed);
  try {
    checkTrainingKernels(probe, args.model);
    const trainSize = trainingSamples(data.train.size, args.validation);
    try {
      checkGhostBatches(probe, strategy, trainSize, args['allow-short-ghost-batch']);
    } catch (error) {
      throw new UsageError(`--ghost-batch ${args['ghost-batch']}: ${(error as Error).message}`);
    }
    // With --bn-accumulation exact, BN sees whole batches whatever the micro-batch.
    const seen = args['bn-accumulation'] === 'exact' ? withoutMicroBatch(strategy) : strategy;
    checkBatchOfOne(probe, seen, data.train.size, args);
    return args['bn-accumulation'] === 'exact' ? exactAccumulationNote(probe, strategy, trainSize) : null;
  } finally {
    probe.dispose();
  }
}

/** `, lr schedule warmup:100+cosine, clip norm 1` for the run's description line. */
function trainingControl(args: TrainArgs): string {
  const schedule = args['lr-schedule'];
  return [
    schedule ? `, lr schedule ${schedule.label}` : '',
    args['clip-norm'] === undefined ? '' : `, clip norm ${args['clip-norm']}`,
    args['clip-value'] === undefined ? '' : `, clip value ${args['clip-value']}`,
  ].join('');
}

function validationNote(size: number, validation: number | undefined): string {
  if (validation === undefined) return '';
  const train = trainingSamples(size, validation);
  return ` (training on ${train}, ${size - train} held out for validation)`;
}
