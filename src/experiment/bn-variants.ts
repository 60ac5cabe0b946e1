/**
 * The BatchNorm variant factor of an experiment: what a BN cell normalises with. `plain` is
 * BatchNorm over the whole batch (or micro-batch chunk), `ghost:<g>` ghost BatchNorm in groups of g
 * samples, `renorm` batch renormalization (with the spec's batchRenorm schedule). Owns the names, as
 * spec files write them, and what each means for a model builder and in a cell id; the maths are
 * models/'s.
 */
import type { BatchNormOptions, BatchRenorm } from '../../models';

export type BnVariant = 'plain' | 'renorm' | `ghost:${number}`;

/**
 * @example parseBnVariant('ghost:16') -> 'ghost:16'; parseBnVariant('renorm') -> 'renorm'
 */
export function parseBnVariant(text: string): BnVariant {
  const value = text.trim();
  if (value === 'plain' || value === 'renorm') return value;
  const ghost = /^ghost:([0-9]+)$/.exec(value);
  if (ghost && Number(ghost[1]) >= 1) return `ghost:${Number(ghost[1])}`;
  throw new Error(`a BatchNorm variant is plain, ghost:<g> (g a positive integer) or renorm, got ${text}`);
}

/** The group size of a `ghost:<g>` variant, null for the others. */
export function ghostBatchOfVariant(variant: BnVariant): number | null {
  return variant.startsWith('ghost:') ? Number(variant.slice('ghost:'.length)) : null;
}

/** The builder options of a variant. */
export function variantOptions(
  variant: BnVariant,
  batchRenorm: BatchRenorm,
): Pick<BatchNormOptions, 'ghostBatch' | 'batchRenorm'> {
  const ghostBatch = ghostBatchOfVariant(variant);
  if (ghostBatch !== null) return { ghostBatch };
  return variant === 'renorm' ? { batchRenorm } : {};
}

/** The variant as a cell id writes it: `bn` (plain, as ids always wrote BN on), `ghost16`, `renorm`. */
export function variantIdPart(variant: BnVariant): string {
  return variant === 'plain' ? 'bn' : variant.replace(':', '');
}
