/**
 * `batchlab throughput`: samples/s of training steps against batch size, per backend (the
 * library's measureThroughput, each backend in its own process). Owns its options and how a preset
 * combines with them, the progress lines, the printed table and findings, and the files it leaves:
 * throughput.json (the sweep, the findings and their rule), throughput.csv (one row per repeat) and
 * the plot as throughput.svg and .png, all written atomically once the sweep is done.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { ALL_BACKENDS, BackendName } from '../backend';
import { InputError } from '../data/input-error';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic-write';
import { writeThroughputChart } from '../report/throughput-chart';
import {
  DEFAULT_BACKENDS,
  DEFAULT_BATCH_SIZES,
  RepeatEvent,
  THROUGHPUT_PRESETS,
  THROUGHPUT_PRESET_NAMES,
  THROUGHPUT_RULE,
  ThroughputOptions,
  assessThroughput,
  formatRate,
  formatThroughputTable,
  measureThroughput,
  throughputCsv,
} from '../throughput';
import { OPTIMIZER_NAMES, OptimizerName } from '../training';
import { MODEL_NAMES, takesBatchNorm } from '../../models';
import { UsageError, integer, integerList, positiveInteger, positiveNumber } from './parse';
import { checkDataName } from './train-command';

const DEFAULT_OPTIMIZER: OptimizerName = 'adam';
const DEFAULT_REPEATS = 5;
const DEFAULT_SECONDS = 1;

export function throughputOptions(yargs: Argv) {
  return yargs
    .option('preset', {
      choices: THROUGHPUT_PRESET_NAMES,
      describe: 'powers-of-two: 15 to 513, every power of two with both neighbours, on every backend',
    })
    .option('backends', {
      coerce: backendList('backends'),
      describe: `comma-separated, of ${ALL_BACKENDS.join(', ')}; each in its own process [default: ${DEFAULT_BACKENDS.join(',')}]`,
    })
    .option('batch-sizes', {
      coerce: integerList('batch-sizes'),
      describe: `batch sizes to measure [default: ${DEFAULT_BATCH_SIZES.join(',')}]`,
    })
    .option('model', {
      choices: MODEL_NAMES,
      default: 'mlp' as const,
      describe: 'model builder, with its default options',
    })
    .option('batch-norm', {
      coerce: onOff('batch-norm'),
      describe: 'on | off: BatchNorm in each hidden layer [default: off]',
    })
    .option('optimizer', { choices: OPTIMIZER_NAMES, default: DEFAULT_OPTIMIZER, describe: 'optimizer' })
    .option('data', { type: 'string', default: 'fashion-mnist-small', describe: 'data set, as for train' })
    .option('data-dir', { type: 'string', describe: 'directory of the IDX files' })
    .option('repeats', {
      coerce: positiveInteger('repeats'),
      describe: `timed repeats per batch size [default: ${DEFAULT_REPEATS}]`,
    })
    .option('warmup', {
      coerce: nonNegativeInteger('warmup'),
      default: 3,
      describe: 'untimed steps per batch size first',
    })
    .option('steps', { coerce: positiveInteger('steps'), describe: 'training steps per repeat (instead of --seconds)' })
    .option('seconds', {
      coerce: positiveNumber('seconds'),
      describe: `about this many seconds per repeat, the step count set per batch size after its warm-up [default: ${DEFAULT_SECONDS}]`,
    })
    .option('seed', { coerce: integer('seed'), default: 0, describe: 'seed for weights and sample order' })
    .option('kernels', {
      type: 'boolean',
      default: true,
      describe: "batchlab's training kernels on wasm, cpu and webgpu",
    })
    .option('out', { type: 'string', describe: 'output directory [default: runs/throughput-<time>]' })
    .option('overwrite', { type: 'boolean', default: false, describe: 'replace the sweep already in --out' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .check((argv) => {
      checkDataName(argv.data);
      if (argv.steps !== undefined && argv.seconds !== undefined)
        throw new UsageError(`--steps ${argv.steps} and --seconds ${argv.seconds} exclude each other; give one`);
      if (argv['batch-norm'] && !takesBatchNorm(argv.model))
        throw new UsageError(`--batch-norm on: model ${argv.model} has no hidden layers, so no BatchNorm`);
      const sizes = argv['batch-sizes'] ?? [];
      const repeated = sizes.find((b, i) => sizes.indexOf(b) !== i);
      if (repeated !== undefined) throw new UsageError(`--batch-sizes ${sizes.join(',')} lists ${repeated} twice`);
      if (argv['batch-norm'] && sizes.includes(1))
        throw new UsageError(
          `--batch-sizes ${sizes.join(',')}: batch size 1 has no batch statistics for --batch-norm on`,
        );
      return true;
    });
}

type ThroughputArgs = Awaited<ReturnType<typeof throughputOptions>['argv']>;

/** The sweep's options: the preset's values, overridden by any option given. */
export function sweepOptions(args: ThroughputArgs): ThroughputOptions {
  const preset = args.preset ? THROUGHPUT_PRESETS[args.preset] : null;
  return {
    backends: args.backends ?? [...(preset?.backends ?? DEFAULT_BACKENDS)],
    batchSizes: args['batch-sizes'] ?? [...(preset?.batchSizes ?? DEFAULT_BATCH_SIZES)],
    model: args.model,
    batchNorm: args['batch-norm'] ?? false,
    data: args.data,
    dataDir: args['data-dir'],
    optimizer: args.optimizer,
    repeats: args.repeats ?? preset?.repeats ?? DEFAULT_REPEATS,
    warmup: args.warmup,
    steps: args.steps ?? null,
    seconds: args.seconds ?? DEFAULT_SECONDS,
    seed: args.seed,
    kernels: args.kernels,
  };
}

export async function runThroughput(args: ThroughputArgs): Promise<void> {
  const log = (line: string): void => {
    if (!args.quiet) process.stderr.write(`${line}\n`);
  };
  const out = resolve(args.out ?? join('runs', `throughput-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  if (existsSync(join(out, 'throughput.json')) && !args.overwrite)
    throw new InputError(`--out ${out} already holds a sweep (throughput.json); pass --overwrite to replace it`);
  const options = sweepOptions(args);
  const per = options.steps === null ? `about ${options.seconds} s` : `${options.steps} steps`;
  log(
    `throughput of training steps (${args.optimizer}) on ${args.data}, ${options.repeats} repeats of ${per} per batch size ` +
      `after ${options.warmup} warm-up steps\nbatch sizes: ${options.batchSizes?.join(', ')}\nbackends: ${options.backends?.join(', ')}, each in its own process, one after another`,
  );
  const sizes = options.batchSizes ?? [];
  const progress = args.quiet ? undefined : roundLines(log, sizes[sizes.length - 1]);
  const sweep = await measureThroughput({ ...options, onRepeat: progress });
  for (const failure of sweep.failures) log(`${failure.backend} not measured: ${failure.reason}`);
  if (sweep.points.length === 0) throw new Error('no backend could be measured (reasons above)');
  const findings = assessThroughput(sweep.points);
  const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`;
  await writeJsonAtomic(join(out, 'throughput.json'), {
    command: 'throughput',
    ...sweep,
    machine,
    findings,
    rule: THROUGHPUT_RULE,
  });
  await writeFileAtomic(join(out, 'throughput.csv'), throughputCsv(sweep));
  const plots = await writeThroughputChart(join(out, 'throughput'), sweep);
  const devices = Object.entries(sweep.device).map(([backend, device]) => `${backend}: ${device}`);
  process.stdout.write(
    `model: ${sweep.modelDescription}\n${devices.join('\n')}\n\n${formatThroughputTable(sweep)}\n\n` +
      `${findings.map((f) => f.sentence).join('\n')}\nrule: ${THROUGHPUT_RULE}\n` +
      `${sweep.failures.map((f) => `${f.backend} not measured: ${f.reason}\n`).join('')}` +
      `plot:    ${plots.join(', ')}\nresults: ${join(out, 'throughput.json')}, ${join(out, 'throughput.csv')}\n`,
  );
}

/** A progress line per backend and round of repeats: each batch size's samples/s. */
function roundLines(log: (line: string) => void, lastSize: number): (event: RepeatEvent) => void {
  let line: string[] = [];
  let backend = '';
  return (e) => {
    // A backend that failed mid-round leaves a partial line behind.
    if (e.backend !== backend) [line, backend] = [[], e.backend];
    line.push(`${e.batchSize}: ${formatRate(e.samplesPerSecond)}`);
    if (e.batchSize !== lastSize) return;
    log(`${e.backend} repeat ${e.repeat + 1}/${e.repeats}  samples/s  ${line.join('  ')}`);
    line = [];
  };
}

/** Comma-separated backend names, each known and none twice, e.g. `--backends wasm,cpu`. */
function backendList(option: string) {
  return (value: unknown): BackendName[] => {
    const names = String(value)
      .split(',')
      .map((n) => n.trim());
    const unknown = names.find((n) => !ALL_BACKENDS.includes(n as BackendName));
    if (unknown !== undefined)
      throw new UsageError(
        `--${option} must be comma-separated names of ${ALL_BACKENDS.join(', ')}, got ${String(value)}`,
      );
    if (new Set(names).size !== names.length)
      throw new UsageError(`--${option} names a backend twice: ${String(value)}`);
    return names as BackendName[];
  };
}

/** `on` or `off` (a bare flag is on, `--no-<option>` off). */
function onOff(option: string) {
  return (value: unknown): boolean => {
    if (value === true || value === '' || value === 'on') return true;
    if (value === false || value === 'off') return false;
    throw new UsageError(`--${option} must be on or off, got ${String(value)}`);
  };
}

function nonNegativeInteger(option: string) {
  return (value: unknown): number => {
    const n = Number(value);
    if (value === '' || !Number.isInteger(n) || n < 0)
      throw new UsageError(`--${option} must be a non-negative integer, got ${String(value)}`);
    return n;
  };
}
