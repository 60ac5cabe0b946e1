/**
 * Step two of batching: cutting an epoch's order into consecutive groups. Owns the batch-count
 * arithmetic (ceil(N/n), or floor with dropLast) and micro-batch chunking; ordering is order.ts's.
 */

/**
 * Consecutive groups of `batchSize` indices; the last one is shorter unless `dropLast`.
 * @example groupIntoBatches([0..9], 3, false) -> [[0,1,2],[3,4,5],[6,7,8],[9]]
 */
export function groupIntoBatches(order: Int32Array, batchSize: number, dropLast: boolean): Int32Array[] {
  const count = batchCount(order.length, batchSize, dropLast);
  const batches: Int32Array[] = [];
  for (let b = 0; b < count; b++) {
    batches.push(order.subarray(b * batchSize, Math.min((b + 1) * batchSize, order.length)));
  }
  return batches;
}

/** ceil(size / batchSize), or floor with `dropLast`: 60000 samples at 100 give 600. */
export function batchCount(size: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/**
 * Splits one batch into chunks of at most `microBatch` samples, for gradient accumulation.
 * @example splitIntoMicroBatches([0..4], 2) -> [[0,1],[2,3],[4]]
 */
export function splitIntoMicroBatches(batch: Int32Array, microBatch: number | undefined): Int32Array[] {
  if (microBatch === undefined || microBatch >= batch.length) return [batch];
  return groupIntoBatches(batch, microBatch, false);
}
