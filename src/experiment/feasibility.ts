/**
 * What an experiment asks of its data, checked once the data is loaded and before any run trains:
 * every strategy's batch (and its own `/micro:` chunk) fits the training set, every model builds on
 * the data's samples, every learning-rate schedule fits each strategy's runs, a target accuracy has accuracies to reach, and the runs stay countable. Each
 * problem names the spec field, its value and the training set; compare() refuses the experiment on
 * any, before it writes anything. Parsing single fields is spec.ts's job.
 */
import type { Strategy } from '../batching';
import type { Dataset } from '../data/dataset';
import { InputError } from '../data/input-error';
import { modelBuilder } from '../../models';
import { scheduleProblems } from './schedule-fit';
import type { ExperimentSpec } from './spec';

/** An experiment runs at most this many cells (factors multiplied). */
export const MAX_RUNS = 10000;

/** A field of the spec that cannot run on the data. */
export interface SpecProblem {
  /** The spec field, or null for the experiment as a whole. */
  field: keyof ExperimentSpec | null;
  /** Where in the field, e.g. `strategies[2]`. */
  path: string;
  /** The value at fault, as written, e.g. `mini:5000`. */
  value: string;
  /** What is wrong, naming the training set where it matters. */
  message: string;
}

/** Refuses an experiment its data cannot run; `problems` lets a caller name its own options. */
export class SpecDataError extends InputError {
  constructor(readonly problems: SpecProblem[]) {
    super(problems.map((p) => (p.field ? `spec: ${p.path}: ${p.value}: ${p.message}` : p.message)).join('\n'));
  }
}

/** The training set as the runs will see it, and how it came to that size (for messages). */
export interface TrainingData {
  train: Dataset;
  /** Whether the test split was taken out of the training data. */
  testSplit: boolean;
}

export function specProblems(spec: ExperimentSpec, data: TrainingData): SpecProblem[] {
  const samples = trainingSamples(spec, data);
  // Schedules are held against the runs of strategies that can run at all.
  const fitting = spec.strategies.filter((s, i) => strategyProblems(s, i, data.train.size, samples).length === 0);
  return [
    ...spec.strategies.flatMap((s, i) => strategyProblems(s, i, data.train.size, samples)),
    ...spec.models.flatMap((model, i) => modelProblems(model, i, data.train)),
    ...scheduleProblems(spec.lrSchedules ?? [], fitting, spec.budget, data.train.size),
    ...targetProblems(spec, data.train),
    ...runCountProblems(spec),
  ];
}

/** "the 800 training samples of blobs (the first 1000, less the seeded 20% test split)". */
function trainingSamples(spec: ExperimentSpec, { train, testSplit }: TrainingData): string {
  const notes = [
    ...(spec.limit === undefined ? [] : [`the first ${spec.limit}`]),
    ...(testSplit ? ['less the seeded 20% test split'] : []),
  ];
  return `the ${train.size} training samples of ${spec.data}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

function strategyProblems(strategy: Strategy, index: number, size: number, samples: string): SpecProblem[] {
  const at = { field: 'strategies' as const, path: `strategies[${index}]`, value: strategy.label };
  if (strategy.n !== null && strategy.n > size) {
    return [{ ...at, message: `batch size ${strategy.n} is larger than ${samples}; use a smaller n or full` }];
  }
  const batch = strategy.n ?? size;
  if (strategy.microBatch !== undefined && strategy.microBatch > batch) {
    const its = strategy.n === null ? `its batch, ${samples}` : `its batch of ${batch}`;
    const message = `micro-batch ${strategy.microBatch} is larger than ${its}; give a smaller m or leave out /micro:`;
    return [{ ...at, message }];
  }
  return [];
}

/** Builds each model once on the data's shapes (then disposes it), as every run will. */
function modelProblems(model: ExperimentSpec['models'][number], index: number, train: Dataset): SpecProblem[] {
  try {
    const built = modelBuilder(model).build({ inputShape: train.inputShape, outputs: train.numClasses }, 0);
    built.dispose();
    return [];
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return [
      { field: 'models', path: `models[${index}]`, value: model, message: `cannot train on ${train.name}: ${why}` },
    ];
  }
}

function targetProblems(spec: ExperimentSpec, train: Dataset): SpecProblem[] {
  if (spec.target === undefined || train.task === 'classification') return [];
  const message = `${spec.data} is a regression data set: it has no accuracy to reach`;
  return [{ field: 'target', path: 'target', value: String(spec.target), message }];
}

/** The cells' count: models x strategies x BN x optimizers x learning rates x seeds. */
function runCountProblems(spec: ExperimentSpec): SpecProblem[] {
  const factors: [number, string][] = [
    [spec.models.length, 'model'],
    [spec.strategies.length, 'strateg'],
    [spec.batchNorm === 'both' ? 2 : 1, 'BN setting'],
    [spec.optimizers.length, 'optimizer'],
    [spec.learningRates?.length ?? 1, 'learning rate'],
    [typeof spec.seeds === 'number' ? spec.seeds : spec.seeds.length, 'seed'],
  ];
  const runs = factors.reduce((n, [count]) => n * count, 1);
  if (runs <= MAX_RUNS) return [];
  const named = (count: number, noun: string) =>
    `${count} ${noun}${noun === 'strateg' ? (count === 1 ? 'y' : 'ies') : count === 1 ? '' : 's'}`;
  const product = factors.map(([count, noun]) => named(count, noun)).join(' x ');
  return [
    {
      field: null,
      path: '',
      value: String(runs),
      message: `the experiment has ${runs} runs (${product}); an experiment runs at most ${MAX_RUNS}`,
    },
  ];
}
