/**
 * How the report, the table and the CSV name a cell's BatchNorm: off, or its variant (plain,
 * ghost:<g>, renorm), convention and accumulation mode. Records written before these were factors
 * lack the fields: they were plain BN in the keras convention unless their spec said otherwise, and
 * their mode is the one their run recorded.
 */
import { BnVariant, ghostBatchOfVariant } from '../experiment/bn-variants';
import type { CellRecord } from '../experiment/cells';
import type { BnAccumulation } from '../training';

/** The BN variant of a BN cell (`plain` for older records), null without BN. */
export function bnVariantOf(cell: CellRecord): BnVariant | null {
  return cell.bn ? (cell.bnVariant ?? 'plain') : null;
}

/** The BN convention of a BN cell (`keras` for older records), null without BN. */
export function bnConventionOf(cell: CellRecord): string | null {
  return cell.bn ? (cell.bnConvention ?? 'keras') : null;
}

/**
 * How a BN cell met micro-batches smaller than the batch (`chunk` for older records that had them),
 * null without BN or such micro-batches.
 */
export function bnAccumulationOf(cell: CellRecord, recorded: BnAccumulation | undefined): BnAccumulation | null {
  return cell.bn ? (cell.bnAccumulation ?? recorded ?? null) : null;
}

/**
 * 'BN off', 'BN on', 'ghost BN 16', 'batch renorm', with ' (pytorch)' for the pytorch convention and
 * ' (exact)' for exact accumulation: a chart facet.
 */
export function bnFacetLabel(cell: CellRecord): string {
  const variant = bnVariantOf(cell);
  if (variant === null) return 'BN off';
  const ghost = ghostBatchOfVariant(variant);
  const name = ghost !== null ? `ghost BN ${ghost}` : variant === 'plain' ? 'BN on' : 'batch renorm';
  const notes = [
    ...(bnConventionOf(cell) === 'pytorch' ? ['pytorch'] : []),
    ...(cell.bnAccumulation === 'exact' ? ['exact'] : []),
  ];
  return notes.length > 0 ? `${name} (${notes.join(', ')})` : name;
}
