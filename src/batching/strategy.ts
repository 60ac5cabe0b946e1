/**
 * Batching strategies: full batch, SGD and mini-batch as one code path (order, then group).
 * A strategy is a pure description; `batches(N, epoch, seed)` turns it into index batches and
 * never touches tensors. Gathering the samples and accumulating micro-batches is the trainer's job.
 */
import { epochOrder } from './order';
import { batchCount, groupIntoBatches } from './grouping';

export type StrategyKind = 'full' | 'sgd' | 'mini';

export interface Strategy {
  readonly kind: StrategyKind;
  /** Short form, as the CLI writes it: `full`, `sgd`, `mini:128`. */
  readonly label: string;
  /** Whether each epoch visits the samples in a new seeded order. */
  readonly shuffle: boolean;
  /** Drop a last batch smaller than the batch size (mini-batch only). */
  readonly dropLast: boolean;
  /** Largest chunk evaluated at once; gradients of the chunks are summed into one update. */
  readonly microBatch?: number;
  /** The batch size the strategy names: 1 for SGD, n for mini-batch n, null for full batch (all N). */
  readonly n: number | null;
  /** Samples per update for a data set of `size` samples (the last batch may be smaller). */
  batchSize(size: number): number;
  /** Weight updates per epoch: 1 for full batch, N for SGD, ceil(N/n) for mini-batch n. */
  updatesPerEpoch(size: number): number;
  /** The index batches of one epoch. Same (size, epoch, seed) gives the same batches. */
  batches(size: number, epoch: number, seed: number): Int32Array[];
  /** Size of the smallest chunk the model ever sees in training (where BatchNorm matters). */
  smallestChunk(size: number): number;
  /** Every chunk size the model sees in training, largest first: batch, short last batch, micro-batch chunks. */
  chunkSizes(size: number): number[];
  /** A strategy is written as its label (spec.json, results files, worker messages); parseStrategy reads it back. */
  toJSON(): string;
}

export interface StrategyOptions {
  /** Shuffle each epoch with a seed derived from (seed, epoch). Default: true (false for full batch). */
  shuffle?: boolean;
  /** Evaluate each batch in chunks of at most this many samples and accumulate gradients. Default: none. */
  microBatch?: number;
}

export interface MiniBatchOptions extends StrategyOptions {
  /** Drop the last, smaller batch of an epoch. Default: false. */
  dropLast?: boolean;
}

/** Batch gradient descent: one update per epoch over the whole data set. */
export function fullBatch(options: StrategyOptions = {}): Strategy {
  return makeStrategy('full', 'full', null, { shuffle: false, ...options });
}

/** Stochastic gradient descent: batch size 1, one update per sample. */
export function sgd(options: Omit<StrategyOptions, 'microBatch'> = {}): Strategy {
  return makeStrategy('sgd', 'sgd', 1, options);
}

/**
 * Mini-batch gradient descent with batches of `n` samples: ceil(N/n) updates per epoch
 * (floor with dropLast). An `n` larger than the data set is an error at training time.
 * @example miniBatch(3, {shuffle: false}).batches(10, 0, 0) -> [[0,1,2],[3,4,5],[6,7,8],[9]]
 */
export function miniBatch(n: number, options: MiniBatchOptions = {}): Strategy {
  checkPositiveInteger('miniBatch: batch size n', n);
  return makeStrategy('mini', `mini:${n}`, n, options);
}

function makeStrategy(kind: StrategyKind, label: string, n: number | null, options: MiniBatchOptions): Strategy {
  const { shuffle = true, dropLast = false, microBatch } = options;
  if (microBatch !== undefined) checkPositiveInteger('microBatch', microBatch);
  const batchSize = (size: number): number => {
    checkSize(size);
    if (n !== null && n > size) {
      throw new Error(
        `${label}: batch size ${n} is larger than the data set (${size} samples); use a smaller n or full batch`,
      );
    }
    return n ?? size;
  };
  const fullLabel = microBatch === undefined ? label : `${label}/micro:${microBatch}`;
  const strategy: Strategy = {
    kind,
    label: fullLabel,
    shuffle,
    dropLast,
    microBatch,
    n,
    batchSize,
    updatesPerEpoch: (size) => batchCount(size, batchSize(size), dropLast),
    batches: (size, epoch, seed) => groupIntoBatches(epochOrder(size, epoch, seed, shuffle), batchSize(size), dropLast),
    smallestChunk: (size) => Math.min(...chunkSizes(size, batchSize(size), dropLast, microBatch)),
    chunkSizes: (size) => chunkSizes(size, batchSize(size), dropLast, microBatch),
    toJSON: () => fullLabel,
  };
  return Object.freeze(strategy);
}

/**
 * The same strategy with each batch evaluated in chunks of at most `microBatch` samples, as the
 * `/micro:<m>` suffix and `--micro-batch` write it. SGD has nothing to split and is refused.
 * @example withMicroBatch(fullBatch(), 1000).label -> 'full/micro:1000'
 */
export function withMicroBatch(strategy: Strategy, microBatch: number): Strategy {
  if (strategy.kind === 'sgd') throw new Error(sgdMicroBatchMessage(`${strategy.label}/micro:${microBatch}`));
  const base = strategy.kind === 'full' ? 'full' : `mini:${strategy.n}`;
  const options = { shuffle: strategy.shuffle, dropLast: strategy.dropLast, microBatch };
  return makeStrategy(strategy.kind, base, strategy.n, options);
}

/** The same strategy with whole batches, no micro-batches. */
export function withoutMicroBatch(strategy: Strategy): Strategy {
  if (strategy.microBatch === undefined) return strategy;
  const base = strategy.kind === 'full' ? 'full' : `mini:${strategy.n}`;
  return makeStrategy(strategy.kind, base, strategy.n, { shuffle: strategy.shuffle, dropLast: strategy.dropLast });
}

function sgdMicroBatchMessage(text: string): string {
  return `strategy "${text}": sgd has one sample per update, nothing to split into micro-batches`;
}

function chunkSizes(size: number, batchSize: number, dropLast: boolean, microBatch?: number): number[] {
  const sizes = [batchSize];
  const remainder = size % batchSize;
  if (remainder > 0 && !dropLast) sizes.push(remainder);
  const chunks = sizes.flatMap((s) =>
    microBatch && microBatch < s ? [microBatch, s % microBatch || microBatch] : [s],
  );
  return [...new Set(chunks)].sort((a, b) => b - a);
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1) throw new Error(`data set size must be a positive integer, got ${size}`);
}

function checkPositiveInteger(what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${what} must be a positive integer, got ${String(value)}`);
  }
  // Larger integers are not exact in a float64, nor written back as digits in a label.
  if (value > Number.MAX_SAFE_INTEGER)
    throw new Error(`${what} must be at most ${Number.MAX_SAFE_INTEGER}, got ${value}`);
}

/**
 * Parses the CLI form: `full`, `sgd` or `mini:<n>` (also `mini-<n>` and a bare number), optionally
 * followed by `/micro:<m>` for gradient accumulation.
 * @example parseStrategy('mini:128').updatesPerEpoch(60000) -> 469
 */
export function parseStrategy(text: string, options: MiniBatchOptions = {}): Strategy {
  const [base, ...suffixes] = text.trim().toLowerCase().split('/');
  const micro = suffixes.length === 1 ? /^micro:([0-9]+)$/.exec(suffixes[0]) : null;
  if (suffixes.length > 0 && !micro) {
    throw new Error(`strategy "${text}": the only suffix is /micro:<m> (m a positive integer)`);
  }
  const withMicro = micro ? { ...options, microBatch: Number(micro[1]) } : options;
  if (base === 'full') return fullBatch(withMicro);
  if (base === 'sgd') {
    if (withMicro.microBatch !== undefined) throw new Error(sgdMicroBatchMessage(text));
    return sgd({ shuffle: options.shuffle });
  }
  const match = /^(?:mini[:-]?)?([0-9]+)$/.exec(base);
  if (!match) {
    throw new Error(`strategy "${text}" is not one of full, sgd, mini:<n> (n a positive integer)`);
  }
  return miniBatch(Number(match[1]), withMicro);
}
