/**
 * How BatchNorm meets gradient accumulation (a strategy's micro-batches): the modes, how outputs
 * name them, and a clear refusal of any other value. 'chunk' normalises each micro-batch chunk with
 * its own statistics and moves the moving averages once per chunk: ghost BatchNorm with groups of
 * the micro-batch. 'exact' normalises every chunk with the whole batch's statistics and coupling
 * terms (./exact-batch-norm.ts): one pass over the batch, to float rounding.
 */

export const BN_ACCUMULATIONS = ['chunk', 'exact'] as const;
export type BnAccumulation = (typeof BN_ACCUMULATIONS)[number];

/** The mode named by `value` (default 'chunk'); anything else is refused, naming the value. */
export function resolveBnAccumulation(value: unknown = 'chunk'): BnAccumulation {
  if (BN_ACCUMULATIONS.includes(value as BnAccumulation)) return value as BnAccumulation;
  throw new Error(`bnAccumulation must be ${BN_ACCUMULATIONS.join(' or ')}, got ${String(value)}`);
}

/**
 * @example describeBnAccumulation('chunk', 1000) -> 'chunk (ghost BN with g = 1000)'
 * @example describeBnAccumulation('exact', 1000) -> 'exact (BN over the whole batch)'
 */
export function describeBnAccumulation(mode: BnAccumulation, microBatch: number): string {
  return mode === 'chunk' ? `chunk (ghost BN with g = ${microBatch})` : 'exact (BN over the whole batch)';
}
