/**
 * Why a strategy feeds BatchNorm a chunk of one sample, and what to change: the batch size itself
 * (SGD, mini:1), a mini-batch whose last batch is one sample, or a micro-batch that splits a batch
 * into chunks ending in one sample. Each cause gets its own advice, with values that work for this
 * data set; deciding whether to refuse is batchnorm-guard.ts's.
 */
import { Strategy, withMicroBatch, withoutMicroBatch } from '../batching';

export type BatchOfOneCause =
  | { kind: 'batch' }
  | { kind: 'last-batch'; n: number; batches: number }
  | { kind: 'micro-batch'; microBatch: number; batch: number; whole: boolean };

/** Why `strategy` on `size` samples has a smallest chunk of one sample (it must have one). */
export function batchOfOneCause(strategy: Strategy, size: number): BatchOfOneCause {
  const batchSize = strategy.batchSize(size);
  if (batchSize === 1) return { kind: 'batch' };
  if (withoutMicroBatch(strategy).smallestChunk(size) === 1) {
    return { kind: 'last-batch', n: batchSize, batches: Math.floor(size / batchSize) };
  }
  const microBatch = strategy.microBatch ?? 1;
  const remainder = strategy.dropLast ? 0 : size % batchSize;
  const cuts = (s: number): boolean => microBatch === 1 || (microBatch < s && s % microBatch === 1);
  const whole = cuts(batchSize) || remainder === 0;
  return { kind: 'micro-batch', microBatch, batch: whole ? batchSize : remainder, whole };
}

/** The cause in a few words, for the refusal's first sentence. */
export function describeCause(cause: BatchOfOneCause, strategy: Strategy, size: number): string {
  if (cause.kind === 'batch') {
    if (strategy.kind === 'sgd') return 'SGD updates on one sample at a time';
    return strategy.kind === 'full' ? 'the data set has one sample' : 'mini:1 batches hold one sample';
  }
  if (cause.kind === 'last-batch') {
    return `${size} samples = ${cause.batches} x ${cause.n} + 1 leave a last batch of 1 sample`;
  }
  const { microBatch: m, batch } = cause;
  if (m === 1) return 'micro-batches of 1 evaluate one sample at a time';
  const which = cause.whole ? `each batch of ${batch}` : `the last batch of ${batch}`;
  return `micro-batches of ${m} split ${which} into ${Math.floor(batch / m)} x ${m} + 1`;
}

/** What to change, with values that leave no chunk of one sample on this data set. */
export function adviceFor(cause: BatchOfOneCause, strategy: Strategy, size: number): string {
  if (cause.kind === 'batch') return 'Use batches of at least 2 samples (mini:<n>, n >= 2)';
  if (cause.kind === 'last-batch') {
    const sizes = nearest(cause.n, 2, size, (n) => size % n !== 1).map((n) => `mini:${n}`);
    return `Drop the last batch (dropLast, --drop-last) or take a batch size that leaves more than one sample (${sizes.join(' or ')} here)`;
  }
  const batchSize = strategy.batchSize(size);
  const fits = (m: number): boolean => withMicroBatch(strategy, m).smallestChunk(size) > 1;
  const micro = nearest(cause.microBatch, 2, batchSize - 1, fits);
  const values = micro.length > 0 ? `: ${micro.join(' or ')} here` : `, or none`;
  return (
    `The micro-batch is the cause: take one that leaves no chunk of one sample (microBatch, --micro-batch${values}), ` +
    "or bnAccumulation 'exact', with which BatchNorm sees the whole batch"
  );
}

/** The values in [min, max] nearest to `from` that pass `ok`: the nearest below and above it. */
function nearest(from: number, min: number, max: number, ok: (value: number) => boolean): number[] {
  let below: number | undefined;
  let above: number | undefined;
  for (let d = 1; d <= Math.max(from - min, max - from) && (below === undefined || above === undefined); d++) {
    if (below === undefined && from - d >= min && from - d <= max && ok(from - d)) below = from - d;
    if (above === undefined && from + d <= max && from + d >= min && ok(from + d)) above = from + d;
  }
  return [below, above].filter((v): v is number => v !== undefined);
}
