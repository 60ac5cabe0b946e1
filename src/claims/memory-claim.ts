/**
 * "A mini-batch needs memory for n samples, full batch for N": the update peak memory (what one
 * update adds above data, weights and optimizer state; update-memory.ts measures it) against the
 * batch size. Owns the evidence it takes from the results and the rule; the measuring is the
 * experiment's.
 */
import type { RunResult } from '../experiment/result';
import { ClaimCheck, bytes, cannotBeChecked, doesNotHold, figure, holds, holdsInPart } from './verdict';

export interface MemoryPoint {
  /** The strategy, as cell ids write it: `sgd`, `mini:32`, `full`. */
  label: string;
  batchSize: number;
  updatePeakBytes: number;
}

/** Largest ratio between the per-sample growths of two batch sizes that still counts as "the same". */
export const GROWTH_TOLERANCE = 2;

export const MEMORY_RULE =
  'Holds if the update peak memory (runs without BN, first seed) rises with the batch size at every step, and the ' +
  'growths per sample above the smallest batch b, (peak(B) - peak(b)) / (B - b) for every larger batch B (full batch ' +
  `included), are within a factor ${GROWTH_TOLERANCE} of each other: a fixed part plus one share per sample. ` +
  'Holds in part if the smallest batch sizes share one peak, set by the update of the weights rather than by the ' +
  'samples, and the rule holds from the largest of them b on, with at least two larger batch sizes. ' +
  'Cannot be checked with fewer than three batch sizes measured.';

/** The first seed's BN-off runs that measured their update memory, one per batch size, smallest first. */
export function memoryEvidence(results: RunResult[]): MemoryPoint[] {
  const points = new Map<number, MemoryPoint>();
  const runs = results.filter((r) => r.status === 'ok' && !r.cell.bn && r.memory && r.batchSize !== undefined);
  const firstSeed = Math.min(...runs.map((r) => r.cell.seed));
  for (const r of runs.filter((run) => run.cell.seed === firstSeed)) {
    const batchSize = r.batchSize as number;
    if (!points.has(batchSize)) {
      points.set(batchSize, {
        label: r.cell.strategy,
        batchSize,
        updatePeakBytes: (r.memory as { updatePeakBytes: number }).updatePeakBytes,
      });
    }
  }
  return [...points.values()].sort((a, b) => a.batchSize - b.batchSize);
}

export function checkMemoryClaim(points: MemoryPoint[], plot: string | null): ClaimCheck {
  const head = { id: 'memory', claim: 'A mini-batch needs memory for n samples, full batch for N', rule: MEMORY_RULE };
  const sorted = [...points].sort((a, b) => a.batchSize - b.batchSize);
  const peaks = sorted.map((p) => `${p.label} (${p.batchSize}) ${bytes(p.updatePeakBytes)}`).join(', ');
  if (sorted.length < 3) {
    const evidence = sorted.length === 0 ? 'no run measured its update memory' : `update peak: ${peaks}`;
    return { ...head, evidence, plot, verdict: cannotBeChecked(`${sorted.length} batch sizes measured, 3 needed`) };
  }
  // The smallest batches may share one peak: the optimizer's update of the weights (gradients, new
  // weights and moments), the same at every batch size, until the samples' activations outgrow it.
  const firstAbove = sorted.findIndex((p) => p.updatePeakBytes !== sorted[0].updatePeakBytes);
  const floor = firstAbove < 0 ? sorted : sorted.slice(0, firstAbove);
  const base = floor[floor.length - 1];
  const larger = sorted.slice(floor.length);
  const growth = larger.map((p) => (p.updatePeakBytes - base.updatePeakBytes) / (p.batchSize - base.batchSize));
  const perSample =
    growth.length > 0 ? `; per sample above batch ${base.batchSize}: ${growth.map(bytes).join(', ')}` : '';
  const evidence = `update peak: ${peaks}${perSample}`;
  const fall = sorted.findIndex((p, i) => i >= floor.length && p.updatePeakBytes <= sorted[i - 1].updatePeakBytes);
  // Past a shared peak, two batch sizes at least must grow to show one share per sample.
  const flatAt = fall > 0 ? fall : larger.length < 2 ? floor.length - 1 : -1;
  if (flatAt > 0) {
    const [before, after] = [sorted[flatAt - 1], sorted[flatAt]];
    return { ...head, evidence, plot, verdict: doesNotHold(`${after.label} needs no more than ${before.label}`) };
  }
  const spread = Math.max(...growth) / Math.min(...growth);
  if (spread > GROWTH_TOLERANCE) {
    const why = `the growth per sample varies ${figure(spread)}-fold across batch sizes (more than ${GROWTH_TOLERANCE})`;
    return { ...head, evidence, plot, verdict: doesNotHold(why) };
  }
  if (floor.length === 1) return { ...head, evidence, plot, verdict: holds() };
  const shared = `${floor.map((p) => p.label).join(' and ')} need the same ${bytes(base.updatePeakBytes)}`;
  const how = `${shared} (the update of the weights sets it); from ${base.label} on the peak grows with the samples`;
  return { ...head, evidence, plot, verdict: holdsInPart(how) };
}
