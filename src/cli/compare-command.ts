/**
 * `batchlab compare`: an experiment from flags, a spec file (JSON or YAML), a preset, or (with
 * --resume) the output directory's spec.json, flags overriding the file. Prints progress, the summary
 * table and where the report is; exits 1 when a run failed or stopped early, and on Ctrl-C ends the
 * runs, says how to resume and exits 130. `--plan` and `--shard` (running elsewhere) are
 * compare-shards.ts's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { ALL_BACKENDS, BACKEND_CHOICES, MAX_THREADS } from '../backend';
import { compare } from '../compare/compare';
import { describeProbe } from '../compare/backend-factor';
import { exitCodeFor, interruptOnSignals, resumeCommand } from '../compare/interrupt';
import { CompareInterrupted, describeOutcome, outcomeOf } from '../compare/outcome';
import { describeDifferences, specDifferences } from '../compare/spec-diff';
import type { Budget } from '../experiment/budget';
import { ExperimentSpecInput, PRESETS, readSpecFile, resolveSpec } from '../experiment/spec';
import { summaryTable } from '../report/summary';
import { OPTIMIZER_NAMES, progressBar, resolveBnAccumulation, splitLrSchedules } from '../training';
import { BN_CONVENTIONS } from '../../models';
import { InputError } from '../data/input-error';
import { SpecDataError } from '../experiment/feasibility';
import { MAX_LEARNING_RATE, MAX_SAMPLES, MAX_SEEDS } from '../experiment/spec';
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
import { SpecSource, describeSpecProblems } from './spec-problems';
import { planOptions, printShardDone, runPlan, shardOf } from './compare-shards';
import { shardResultsPath } from '../compare/shard';

/** The spec's own defaults, shown in --help so that the help cannot drift from what runs use. */
const DEFAULTS = resolveSpec({});
const showBudget = (b: Budget): string =>
  b.kind === 'epochs' ? `epochs:${b.epochs}` : b.kind === 'updates' ? `updates:${b.updates}` : `seconds:${b.seconds}`;

/** Worker processes at most: each holds its own copy of tfjs and the data. */
const MAX_JOBS = 64;

/** Spec fields and the flags that set them, for error messages. */
const FLAGS: Record<string, string> = {
  data: '--data',
  dataDir: '--data-dir',
  limit: '--limit',
  models: '--models',
  strategies: '--strategies',
  batchNorm: '--batch-norm',
  bnVariants: '--bn-variants',
  bnConventions: '--bn-conventions',
  batchRenorm: '--batch-renorm',
  allowShortGhostBatch: '--allow-short-ghost-batch',
  bnAccumulations: '--bn-accumulations',
  headBatchNorm: '--head-batch-norm',
  hidden: '--hidden',
  seeds: '--seeds',
  optimizers: '--optimizers',
  learningRates: '--lr',
  budget: '--budget',
  lrRule: '--lr-rule',
  lrSchedules: '--lr-schedules',
  clipNorm: '--clip-norm',
  clipValue: '--clip-value',
  microBatch: '--micro-batch',
  target: '--target',
  checkpoints: '--checkpoints',
  allowBatchNormBatchOfOne: '--allow-batch-norm-batch-of-one',
  backend: '--backend',
  backends: '--backends',
  name: '--name',
};

const list = (value: unknown): string[] =>
  String(value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function compareOptions(yargs: Argv) {
  return yargs
    .option('spec', { type: 'string', describe: 'experiment file (.json, .yaml); flags override its fields' })
    .option('preset', {
      choices: Object.keys(PRESETS),
      describe:
        'a ready-made experiment (fashion-mnist: full data, 32/64/100/128, full, SGD, BN on/off; bn-variants: plain, ghost, renorm and no BN at batch 4 to 256)',
    })
    .option('name', { type: 'string', describe: 'title of the report' })
    .option('data', { type: 'string', describe: `data set, as for train [default: ${DEFAULTS.data}]` })
    .option('data-dir', { type: 'string', describe: 'directory of the IDX files' })
    .option('limit', {
      coerce: positiveIntegerUpTo('limit', MAX_SAMPLES),
      describe: 'use only the first N training samples',
    })
    .option('models', {
      coerce: list,
      describe: `comma-separated: mlp,cnn,logistic [default: ${DEFAULTS.models.join(',')}]`,
    })
    .option('strategies', {
      coerce: list,
      describe: `comma-separated strategies [default: ${DEFAULTS.strategies.map((s) => s.label).join(',')}]`,
    })
    .option('batch-norm', {
      choices: ['on', 'off', 'both'] as const,
      describe: `BatchNorm factor [default: ${DEFAULTS.batchNorm}]`,
    })
    .option('bn-variants', {
      coerce: list,
      describe: `comma-separated BN cells: plain, ghost:<g>, renorm [default: ${DEFAULTS.bnVariants.join(',')}]`,
    })
    .option('bn-conventions', {
      coerce: list,
      describe: `comma-separated: ${BN_CONVENTIONS.join(',')} (BN momentum, epsilon, moving variance) [default: ${DEFAULTS.bnConventions.join(',')}]`,
    })
    .option('batch-renorm', {
      type: 'string',
      describe: "renorm cells' schedule, e.g. 'relaxFrom=100,dMaxAt=500,rMaxAt=800' [default: the paper's]",
    })
    .option('allow-short-ghost-batch', {
      type: 'boolean',
      describe: 'train ghost BN whose group size does not divide every batch instead of recording a refusal',
    })
    .option('bn-accumulations', {
      coerce: (v: unknown) => list(v).map(viaLibrary('bn-accumulations', resolveBnAccumulation)),
      describe: `comma-separated: plain BN cells under micro-batches smaller than the batch, chunk (ghost BN with g = the micro-batch) or exact (BN over the whole batch); ghost and renorm cells train chunked [default: ${DEFAULTS.bnAccumulations.join(',')}]`,
    })
    .option('bn-accumulation', {
      coerce: viaLibrary('bn-accumulation', resolveBnAccumulation),
      describe: 'one mode for --bn-accumulations: chunk or exact',
    })
    .option('head-batch-norm', {
      type: 'boolean',
      describe:
        'cnn BN cells: BN in the dense head too (--no-head-batch-norm: in the convolutions only) [default: true]',
    })
    .option('hidden', {
      coerce: integerList('hidden'),
      describe: "mlp cells: comma-separated units of each hidden layer, e.g. 64,64,64,64 [default: the mlp's 256,128]",
    })
    .option('seeds', {
      coerce: positiveIntegerUpTo('seeds', MAX_SEEDS),
      describe: `number of seeds per configuration [default: ${String(DEFAULTS.seeds)}]`,
    })
    .option('optimizers', {
      coerce: list,
      describe: `comma-separated: ${OPTIMIZER_NAMES.join(',')} [default: ${DEFAULTS.optimizers.join(',')}]`,
    })
    .option('lr', {
      coerce: (v: unknown) => list(v).map((x) => numberIn('lr', 0, MAX_LEARNING_RATE)(x)),
      describe: "comma-separated base learning rates [default: the optimizer's]",
    })
    .option('budget', {
      type: 'string',
      describe: `epochs:<n> | updates:<n> | seconds:<s> per run [default: ${showBudget(DEFAULTS.budget)}]`,
    })
    .option('lr-rule', {
      type: 'string',
      describe: 'fixed | linear:<reference batch> (lr x batch / reference) [default: fixed]',
    })
    .option('lr-schedules', {
      coerce: (v: unknown) => splitLrSchedules(String(v)),
      describe:
        'comma-separated learning-rate schedules, as train --lr-schedule, e.g. constant,warmup:1ep+cosine (a warm-up under --lr-rule linear starts at the unscaled rate) [default: none]',
    })
    .option('clip-norm', {
      coerce: positiveNumber('clip-norm'),
      describe: "clip each update's gradient to this global norm",
    })
    .option('clip-value', {
      coerce: positiveNumber('clip-value'),
      describe: "clip each element of an update's gradient to [-v, v]",
    })
    .option('micro-batch', {
      coerce: positiveIntegerUpTo('micro-batch', MAX_SAMPLES),
      describe: 'gradient-accumulation chunk for full and mini-batch',
    })
    .option('target', {
      coerce: numberIn('target', 0, 1),
      describe: 'report time and epochs to reach this test accuracy',
    })
    .option('checkpoints', {
      coerce: integer('checkpoints'),
      describe: `probe checkpoints besides the initial weights [default: ${DEFAULTS.checkpoints}]`,
    })
    .option('allow-batch-norm-batch-of-one', {
      type: 'boolean',
      describe: 'train dense BN on 1-sample batches instead of recording a refusal',
    })
    .option('backend', { choices: BACKEND_CHOICES, describe: 'tfjs backend [default: auto]' })
    .option('backends', {
      coerce: list,
      describe: `comma-separated backends to run every cell on, each in worker processes of its own (${ALL_BACKENDS.join(',')}): same initial weights and batches, only the time differs; those that do not start here are reported and left out`,
    })
    .option('jobs', {
      coerce: positiveIntegerUpTo('jobs', MAX_JOBS),
      default: 1,
      describe: 'worker processes running cells in parallel',
    })
    .option('threads', {
      coerce: positiveIntegerUpTo('threads', MAX_THREADS),
      describe: "threads each run's wasm backend computes with [default: the cores shared among the jobs]",
    })
    .option('resume', {
      type: 'boolean',
      default: false,
      describe: 'skip the runs already in --out/results.jsonl; the experiment is --out/spec.json unless given',
    })
    .option('out', { type: 'string', describe: 'output directory [default: runs/compare-<time>]' })
    .option('checkpoint-every', {
      coerce: positiveInteger('checkpoint-every'),
      describe: 'checkpoint each run every n epochs, so that --resume re-enters an interrupted run where it was',
    })
    .option('tensorboard', { type: 'boolean', default: false, describe: 'also write TensorBoard event files' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .options(planOptions)
    .check((argv) => {
      if (argv.resume && !argv.out) throw new UsageError('--resume needs --out <the directory to resume>');
      if (argv.spec && argv.preset) throw new UsageError('--spec and --preset exclude each other');
      if (argv['bn-accumulation'] !== undefined && argv['bn-accumulations'] !== undefined)
        throw new UsageError('--bn-accumulation and --bn-accumulations exclude each other');
      if (argv.backend !== undefined && argv.backends !== undefined)
        throw new UsageError(
          `--backend ${argv.backend} and --backends ${argv.backends.join(',')} exclude each other: give one`,
        );
      return true;
    });
}

type CompareArgs = Awaited<ReturnType<typeof compareOptions>['argv']>;

/** The spec input the flags describe, on top of the file or preset, and where each field came from. */
async function specFromArgs(args: CompareArgs): Promise<{ input: ExperimentSpecInput; source: SpecSource }> {
  // Resuming without a spec or preset continues the experiment the directory describes.
  const storedPath = args.out === undefined ? null : join(args.out, 'spec.json');
  const stored = args.resume && storedPath && existsSync(storedPath) ? await readSpecFile(storedPath) : undefined;
  const base: ExperimentSpecInput = args.spec
    ? await readSpecFile(args.spec)
    : args.preset
      ? PRESETS[args.preset]
      : (stored ?? {});
  const lrRule = args['lr-rule'] === undefined ? undefined : parseLrRule(args['lr-rule']);
  const overrides: Record<string, unknown> = {
    name: args.name,
    data: args.data,
    dataDir: args['data-dir'],
    limit: args.limit,
    models: args.models,
    strategies: args.strategies,
    batchNorm: args['batch-norm'],
    bnVariants: args['bn-variants'],
    bnConventions: args['bn-conventions'],
    batchRenorm: args['batch-renorm'],
    allowShortGhostBatch: args['allow-short-ghost-batch'],
    bnAccumulations: args['bn-accumulations'] ?? (args['bn-accumulation'] && [args['bn-accumulation']]),
    headBatchNorm: args['head-batch-norm'],
    hidden: args.hidden,
    seeds: args.seeds,
    optimizers: args.optimizers,
    learningRates: args.lr,
    budget: args.budget,
    lrRule,
    lrSchedules: args['lr-schedules'],
    clipNorm: args['clip-norm'],
    clipValue: args['clip-value'],
    microBatch: args['micro-batch'],
    target: args.target,
    checkpoints: args.checkpoints,
    allowBatchNormBatchOfOne: args['allow-batch-norm-batch-of-one'],
    backend: args.backend,
    backends: args.backends,
  };
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  // A flag for one backend, or for several, replaces the file's choice of either.
  const { backend: _backend, backends: _backends, ...rest } = base;
  const input = { ...(given.backend || given.backends ? rest : base), ...given };
  let resolved;
  try {
    resolved = resolveSpec(input, 'spec');
  } catch (error) {
    // Name the flag when a flag set the bad field; the file's own errors were reported on reading.
    const message = (error as Error).message.replace(
      /^spec: ([A-Za-z]+)(\S*):/gm,
      (_m, field: string, rest: string) => `${FLAGS[field] ?? field}${rest}:`,
    );
    throw new UsageError(message);
  }
  const differences = stored === undefined ? [] : specDifferences(resolveSpec(stored), resolved);
  if (differences.length > 0) {
    throw new UsageError(
      `--resume: ${storedPath} describes a different experiment; drop these options to resume it, or choose another --out:\n${describeDifferences(differences, (field) => FLAGS[field] ?? field)}`,
    );
  }
  const file = args.spec ?? (args.preset ? `--preset ${args.preset}` : stored ? storedPath : null);
  const source = { flags: new Set(Object.keys(given)), file, flagOf: (field: string) => FLAGS[field] ?? field };
  return { input, source };
}

function parseLrRule(text: string): ExperimentSpecInput['lrRule'] {
  if (text === 'fixed') return 'fixed';
  const match = /^linear:([0-9]+)$/.exec(text);
  if (!match || Number(match[1]) < 1)
    throw new UsageError(`--lr-rule must be fixed or linear:<reference batch size>, got ${text}`);
  if (Number(match[1]) > MAX_SAMPLES)
    throw new UsageError(`--lr-rule: the reference batch size must be at most ${MAX_SAMPLES}, got ${text}`);
  return { linear: { referenceBatch: Number(match[1]) } };
}

export async function runCompare(args: CompareArgs): Promise<void> {
  const { input: spec, source } = await specFromArgs(args);
  if (args.plan) return runPlan(spec, args);
  const shard = shardOf(args);
  const log = (line: string): void => {
    if (!args.quiet) process.stderr.write(`${line}\n`);
  };
  // Ctrl-C ends the runs in progress (worker processes included) and says how to resume.
  const interrupt = interruptOnSignals((signal) =>
    process.stderr.write(`\n${signal}: stopping the runs in progress (again to exit at once)\n`),
  );
  try {
    const result = await compare(spec, {
      outDir: args.out,
      resume: args.resume,
      jobs: args.jobs,
      threads: args.threads,
      checkpointEvery: args['checkpoint-every'],
      tensorboard: args.tensorboard,
      log,
      callbacks: () => (args.quiet ? [] : [progressBar({ heldOut: 'test' })]),
      signal: interrupt.signal,
      shard: shard ?? undefined,
    });
    process.stdout.write(`${summaryTable(result.summary)}\n\n`);
    const notRun = (result.backends ?? []).filter((p) => !p.available);
    if (notRun.length > 0) process.stdout.write(`${notRun.map(describeProbe).join('\n')}\n\n`);
    if (shard) printShardDone(result, shard);
    else process.stdout.write(`results: ${result.files.results}\nsummary: ${result.files.summary}\n`);
    if (result.files.report) process.stdout.write(`report:  ${result.files.report}\n`);
    const outcome = describeOutcome(outcomeOf(result.results));
    if (outcome) {
      process.stderr.write(`batchlab: ${outcome}; see ${result.files.results}\n`);
      process.exitCode = 1;
    }
  } catch (error) {
    if (error instanceof SpecDataError) throw new InputError(describeSpecProblems(error.problems, source));
    if (!(error instanceof CompareInterrupted)) throw error;
    process.stderr.write(
      `${error.finished} of ${error.total} runs are finished in ${shard ? shardResultsPath(error.outDir, shard) : join(error.outDir, 'results.jsonl')}; resume with:\n  ${resumeCommand(error.outDir, { ...args, checkpointEvery: args['checkpoint-every'], shard })}\n`,
    );
    process.exitCode = exitCodeFor(interrupt.received() ?? 'SIGINT');
  } finally {
    interrupt.dispose();
  }
}
