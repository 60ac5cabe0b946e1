/**
 * What a throughput sweep is: its options (each default documented, resolved and checked once
 * here), the preset, and the result types that the measurement returns and that the rules, the
 * table, the plot and the files read. Measuring is ./measure-backend's, processes ./measure's.
 */
import { ALL_BACKENDS, BackendName } from '../backend';
import { MODEL_NAMES, ModelName, takesBatchNorm } from '../../models';
import { OPTIMIZER_NAMES, OptimizerName } from '../training';

/** Samples/s of one backend at one batch size, one entry per timed repeat. */
export interface ThroughputPoint {
  backend: string;
  batchSize: number;
  samplesPerSecond: number[];
  /** Training steps in each timed repeat (the same in every repeat). */
  steps: number;
  /** Seconds of each timed repeat, in the order of samplesPerSecond. */
  seconds: number[];
  /** Optimizer updates made at this batch size, warm-up included, as the optimizer counted them. */
  updates: number;
}

/** A backend that did not start, or failed while measuring, and why. */
export interface ThroughputFailure {
  backend: string;
  reason: string;
}

export interface ThroughputSweep {
  /** The model's registry name, e.g. 'mlp'. */
  model: string;
  batchNorm: boolean;
  /** The data set's name, e.g. 'fashion-mnist-small'. */
  data: string;
  points: ThroughputPoint[];
  /** What each measured backend computes on, by backend, e.g. { wasm: 'CPU (WebAssembly, SIMD)' }. */
  device: Record<string, string>;
  failures: ThroughputFailure[];
  /** The model as its builder describes itself. */
  modelDescription: string;
  /** The settings the sweep was measured with. */
  settings: ThroughputSettings;
}

export interface ThroughputSettings {
  optimizer: OptimizerName;
  repeats: number;
  warmup: number;
  /** Fixed steps per repeat, or null when each batch size's count was set from `seconds`. */
  steps: number | null;
  /** Target seconds per repeat when `steps` is null. */
  seconds: number;
  seed: number;
  kernels: boolean;
}

export interface ThroughputOptions {
  /** Backends to measure, each in a process of its own, one after another. Default: ['wasm', 'cpu']. */
  backends?: BackendName[];
  /** Batch sizes, measured in this order. Default: DEFAULT_BATCH_SIZES. */
  batchSizes?: number[];
  /** A model of the registry, built with its default options. Default: 'mlp'. */
  model?: ModelName;
  /** BatchNorm in each hidden layer (models that have them). Default: false. */
  batchNorm?: boolean;
  /** A data set of the catalog; it must hold at least the largest batch size. Default: 'fashion-mnist-small'. */
  data?: string;
  /** Directory of the data set's files, as for loadDataset. Default: the catalog's. */
  dataDir?: string;
  /** Default: 'adam' (the trainer's default). */
  optimizer?: OptimizerName;
  /** Timed repeats per batch size. Default: 5. */
  repeats?: number;
  /** Untimed steps per batch size before its first repeat (kernel set-up, caches). Default: 3. */
  warmup?: number;
  /** Steps per repeat; null sets each batch size's count from `seconds`. Default: null. */
  steps?: number | null;
  /**
   * With `steps` null: about this many seconds per repeat; each batch size's step count is set
   * after its warm-up by untimed steps taking about half as long again. Default: 1.
   */
  seconds?: number;
  /** Seeds the weights and the batch order. Default: 0. */
  seed?: number;
  /** batchlab's kernel packs on wasm, cpu and webgpu (as useBackend). Default: true. */
  kernels?: boolean;
  /**
   * Measure in a child process per backend (true), or in this process (false: one backend only,
   * which becomes the active backend). Default: true.
   */
  isolate?: boolean;
  /** Called after each timed repeat, e.g. for progress lines. */
  onRepeat?: (event: RepeatEvent) => void;
}

export interface RepeatEvent {
  backend: string;
  batchSize: number;
  /** 0-based. */
  repeat: number;
  repeats: number;
  samplesPerSecond: number;
}

/** Batch sizes around and between powers of two, from 16 to 512. */
export const DEFAULT_BATCH_SIZES: readonly number[] = [16, 32, 64, 96, 100, 127, 128, 129, 160, 255, 256, 257, 512];

export const DEFAULT_BACKENDS: readonly BackendName[] = ['wasm', 'cpu'];

/** Every power of two from 16 to 512 with both neighbours, and the midpoints between them. */
export const POWERS_OF_TWO_BATCH_SIZES: readonly number[] = [
  15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 96, 100, 127, 128, 129, 192, 255, 256, 257, 384, 511, 512, 513,
];

/** What a preset sets; options given alongside it override it. */
export interface ThroughputPresetValues {
  batchSizes: readonly number[];
  backends: readonly BackendName[];
  repeats: number;
}

export type ThroughputPreset = 'powers-of-two';

export const THROUGHPUT_PRESETS: Record<ThroughputPreset, ThroughputPresetValues> = {
  /** Every power of two with both neighbours, on every backend batchlab knows (those that do not start are reported). */
  'powers-of-two': { batchSizes: POWERS_OF_TWO_BATCH_SIZES, backends: ALL_BACKENDS, repeats: 5 },
};

export const THROUGHPUT_PRESET_NAMES = Object.keys(THROUGHPUT_PRESETS) as ThroughputPreset[];

export type ResolvedThroughputOptions = Required<Omit<ThroughputOptions, 'onRepeat' | 'dataDir'>> &
  Pick<ThroughputOptions, 'onRepeat' | 'dataDir'>;

/** Fills in the defaults and checks every value, naming the option and the value. */
export function resolveThroughputOptions(options: ThroughputOptions = {}): ResolvedThroughputOptions {
  const opts = {
    backends: options.backends ?? [...DEFAULT_BACKENDS],
    batchSizes: options.batchSizes ?? [...DEFAULT_BATCH_SIZES],
    model: options.model ?? 'mlp',
    batchNorm: options.batchNorm ?? false,
    data: options.data ?? 'fashion-mnist-small',
    dataDir: options.dataDir,
    optimizer: options.optimizer ?? 'adam',
    repeats: options.repeats ?? 5,
    warmup: options.warmup ?? 3,
    steps: options.steps ?? null,
    seconds: options.seconds ?? 1,
    seed: options.seed ?? 0,
    kernels: options.kernels ?? true,
    isolate: options.isolate ?? true,
    onRepeat: options.onRepeat,
  };
  const fail = (what: string, value: unknown): never => {
    throw new Error(`measureThroughput: ${what}, got ${JSON.stringify(value)}`);
  };
  const unknown = opts.backends.filter((b) => !ALL_BACKENDS.includes(b));
  if (opts.backends.length === 0 || unknown.length > 0)
    fail(`backends must be a non-empty list of ${ALL_BACKENDS.join(', ')}`, opts.backends);
  if (new Set(opts.backends).size !== opts.backends.length) fail('backends must not repeat', opts.backends);
  if (!opts.isolate && opts.backends.length > 1)
    fail('isolate: false measures one backend only (backends must not share a tfjs engine)', opts.backends);
  if (opts.batchSizes.length === 0 || opts.batchSizes.some((b) => !Number.isInteger(b) || b < 1))
    fail('batchSizes must be a non-empty list of positive integers', opts.batchSizes);
  if (new Set(opts.batchSizes).size !== opts.batchSizes.length) fail('batchSizes must not repeat', opts.batchSizes);
  if (opts.batchNorm && opts.batchSizes.includes(1))
    fail('batchSizes must be at least 2 with batchNorm (a batch of one has no batch statistics)', opts.batchSizes);
  if (!MODEL_NAMES.includes(opts.model)) fail(`model must be one of ${MODEL_NAMES.join(', ')}`, opts.model);
  if (opts.batchNorm && !takesBatchNorm(opts.model)) fail(`model ${opts.model} has no BatchNorm to switch on`, true);
  if (!OPTIMIZER_NAMES.includes(opts.optimizer))
    fail(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}`, opts.optimizer);
  if (!Number.isInteger(opts.repeats) || opts.repeats < 1) fail('repeats must be a positive integer', opts.repeats);
  if (!Number.isInteger(opts.warmup) || opts.warmup < 0) fail('warmup must be a non-negative integer', opts.warmup);
  if (opts.steps !== null && (!Number.isInteger(opts.steps) || opts.steps < 1))
    fail('steps must be a positive integer or null', opts.steps);
  if (!(opts.seconds > 0 && Number.isFinite(opts.seconds))) fail('seconds must be a positive number', opts.seconds);
  if (!Number.isInteger(opts.seed)) fail('seed must be an integer', opts.seed);
  return opts;
}

/** The settings recorded with a sweep. */
export function settingsOf(opts: ResolvedThroughputOptions): ThroughputSettings {
  const { optimizer, repeats, warmup, steps, seconds, seed, kernels } = opts;
  return { optimizer, repeats, warmup, steps, seconds, seed, kernels };
}

/** Whether n is 1, 2, 4, 8, ... */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
