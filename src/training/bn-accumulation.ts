/**
 * How BatchNorm meets gradient accumulation (a strategy's micro-batches): the modes, how outputs
 * name them, and a clear refusal of a mode this version does not have. The one mode, 'chunk', is
 * what the trainer does: each micro-batch chunk is normalised with its own statistics and moves the
 * moving averages once; that is ghost BatchNorm with groups of the micro-batch.
 */

export type BnAccumulation = 'chunk';
export const BN_ACCUMULATIONS: readonly BnAccumulation[] = ['chunk'];

/** The mode named by `value` (default 'chunk'); anything else is refused, naming the value. */
export function resolveBnAccumulation(value: unknown = 'chunk'): BnAccumulation {
  if (BN_ACCUMULATIONS.includes(value as BnAccumulation)) return value as BnAccumulation;
  throw new Error(
    `bnAccumulation must be ${BN_ACCUMULATIONS.join(' or ')}, got ${String(value)}: this version has only 'chunk' ` +
      '(each micro-batch normalised with its own statistics: ghost BatchNorm with g = the micro-batch)',
  );
}

/** @example describeBnAccumulation('chunk', 1000) -> 'chunk (ghost BN with g = 1000)' */
export function describeBnAccumulation(mode: BnAccumulation, microBatch: number): string {
  return `${mode} (ghost BN with g = ${microBatch})`;
}
