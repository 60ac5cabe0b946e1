/**
 * "SGD's gradients are noisy": the gradient noise E||g_B - g||² / ||g||² (gradient-noise.ts) of
 * each strategy's batches at the initial weights, which runs of one seed share, against the batch
 * size. Closed form: E||g_B - g||² = (N - B)/(N - 1) · tr(Σ)/B, so B · noise · (N - 1)/(N - B) is the
 * same tr(Σ)/||g||² for every B < N when noise falls as 1/B. Owns the evidence and the rule.
 */
import type { RunResult } from '../experiment/result';
import { ClaimCheck, cannotBeChecked, doesNotHold, figure, holds, holdsInPart } from './verdict';

export interface NoisePoint {
  label: string;
  batchSize: number;
  /** Relative gradient variance at the initial weights. */
  noise: number;
  /** Its standard error. */
  standardError: number;
}

export interface NoiseEvidence {
  /** Training samples N. */
  trainSize: number;
  /** One point per batch size below N, smallest first (full batch's noise is 0 by definition). */
  points: NoisePoint[];
}

/** How many standard errors the smallest batch's noise must lie above each larger batch's. */
export const NOISE_SIGMAS = 2;
/** Largest ratio between two batch sizes' tr(Σ) estimates that still counts as falling as 1/B. */
export const INVERSE_TOLERANCE = 2;

export const NOISE_RULE =
  "Holds if, at the initial weights (runs without BN, first seed), the smallest batch's gradient noise exceeds " +
  `every larger batch's below N by more than ${NOISE_SIGMAS} standard errors of the difference, and the noise falls ` +
  `roughly as 1/B (else it holds in part): B · noise · (N - 1)/(N - B), constant in the closed form, is within a factor ${INVERSE_TOLERANCE} ` +
  'across those batch sizes. Cannot be checked with fewer than two batch sizes below N.';

/** The first seed's BN-off runs' noise at epoch 0, one point per batch size below N. */
export function noiseEvidence(results: RunResult[]): NoiseEvidence {
  const runs = results.filter((r) => r.status === 'ok' && !r.cell.bn && r.history);
  const firstSeed = Math.min(...runs.map((r) => r.cell.seed));
  const points = new Map<number, NoisePoint>();
  let trainSize = 0;
  for (const r of runs.filter((run) => run.cell.seed === firstSeed)) {
    trainSize = r.history?.trainSize ?? trainSize;
    const initial = r.checkpoints?.find((c) => c.epoch === 0)?.gradientNoise;
    if (!initial || initial.batches === 0 || points.has(initial.batchSize)) continue;
    points.set(initial.batchSize, {
      label: r.cell.strategy,
      batchSize: initial.batchSize,
      noise: initial.relativeVariance,
      standardError: initial.relativeStandardError,
    });
  }
  return { trainSize, points: [...points.values()].sort((a, b) => a.batchSize - b.batchSize) };
}

/** tr(Σ)/||g||² as batch size B's noise estimates it. */
export const noiseConstant = (p: NoisePoint, trainSize: number): number =>
  (p.noise * p.batchSize * (trainSize - 1)) / (trainSize - p.batchSize);

export function checkNoiseClaim({ trainSize, points }: NoiseEvidence, plot: string | null): ClaimCheck {
  const base = { id: 'noise', claim: "SGD's gradients are noisy", rule: NOISE_RULE };
  const sorted = [...points].filter((p) => p.batchSize < trainSize).sort((a, b) => a.batchSize - b.batchSize);
  const noises = sorted.map((p) => `${p.label} ${figure(p.noise)} ± ${figure(p.standardError)}`).join(', ');
  if (sorted.length < 2) {
    const evidence = sorted.length === 0 ? 'no gradient noise measured at the initial weights' : `noise: ${noises}`;
    return {
      ...base,
      evidence,
      plot,
      verdict: cannotBeChecked(
        `${sorted.length} batch size${sorted.length === 1 ? '' : 's'} below N measured, 2 needed`,
      ),
    };
  }
  const constants = sorted.map((p) => noiseConstant(p, trainSize));
  const evidence = `relative noise at the initial weights: ${noises}, full batch 0; B·noise·(N-1)/(N-B): ${constants.map(figure).join(', ')}`;
  const [smallest, ...larger] = sorted;
  const notAbove = larger.find(
    (p) => smallest.noise - p.noise <= NOISE_SIGMAS * Math.hypot(smallest.standardError, p.standardError),
  );
  if (notAbove) {
    const why = `${smallest.label}'s noise is not ${NOISE_SIGMAS} standard errors above ${notAbove.label}'s`;
    return { ...base, evidence, plot, verdict: doesNotHold(why) };
  }
  const spread = Math.max(...constants) / Math.min(...constants);
  if (spread > INVERSE_TOLERANCE) {
    const how = `smaller batches are noisier, but the noise does not fall as 1/B (B·noise varies ${figure(spread)}-fold)`;
    return { ...base, evidence, plot, verdict: holdsInPart(how) };
  }
  return { ...base, evidence, plot, verdict: holds() };
}
