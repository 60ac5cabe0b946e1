/**
 * How the report, the table and the CSV name a cell's BatchNorm: off, or its variant (plain,
 * ghost:<g>, renorm) and convention. Records written before variants and conventions were factors
 * lack both fields: they were plain BN in the keras convention unless their spec said otherwise.
 */
import { BnVariant, ghostBatchOfVariant } from '../experiment/bn-variants';
import type { CellRecord } from '../experiment/cells';

/** The BN variant of a BN cell (`plain` for older records), null without BN. */
export function bnVariantOf(cell: CellRecord): BnVariant | null {
  return cell.bn ? (cell.bnVariant ?? 'plain') : null;
}

/** The BN convention of a BN cell (`keras` for older records), null without BN. */
export function bnConventionOf(cell: CellRecord): string | null {
  return cell.bn ? (cell.bnConvention ?? 'keras') : null;
}

/** 'BN off', 'BN on', 'ghost BN 16', 'batch renorm', with ' (pytorch)' for the pytorch convention: a chart facet. */
export function bnFacetLabel(cell: CellRecord): string {
  const variant = bnVariantOf(cell);
  if (variant === null) return 'BN off';
  const ghost = ghostBatchOfVariant(variant);
  const name = ghost !== null ? `ghost BN ${ghost}` : variant === 'plain' ? 'BN on' : 'batch renorm';
  return bnConventionOf(cell) === 'pytorch' ? `${name} (pytorch)` : name;
}
