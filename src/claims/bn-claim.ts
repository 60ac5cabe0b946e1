/**
 * "BatchNorm keeps layer activations steadier and gradients from vanishing": the per hidden layer
 * output std and per layer kernel gradient norms that probes.ts takes at the checkpoints, of one
 * strategy's runs with BN off and on (same seed, so the same initial kernels). Owns the evidence and
 * the rule.
 */
import type { RunResult } from '../experiment/result';
import { ClaimCheck, cannotBeChecked, doesNotHold, figure, holds, holdsInPart } from './verdict';

/** One run's layer statistics: per checkpoint, each hidden layer's output std and each layer's gradient norm. */
export interface LayerProfile {
  checkpoints: { epoch: number; activationStd: number[]; gradientNorms: number[] }[];
}

export interface BnEvidence {
  /** The strategy both runs trained with, e.g. `mini:32`. */
  strategy: string;
  off: LayerProfile;
  on: LayerProfile;
}

export const BN_RULE =
  "Compares one strategy's runs (the first mini-batch strategy with BN off and on, first seed) at every checkpoint, " +
  'initial weights included. Steadier: the ratio of the largest to the smallest hidden-layer output std, over all ' +
  "layers and checkpoints, is smaller with BN. Not vanishing: the first layer's kernel gradient norm divided by the " +
  "output layer's, as a geometric mean over the checkpoints, is larger with BN. Holds if both, in part if one. " +
  'Cannot be checked without both runs or with fewer than two hidden layers.';

function profileOf(r: RunResult): LayerProfile {
  return {
    checkpoints: (r.checkpoints ?? []).map((c) => ({
      epoch: c.epoch,
      activationStd: c.activations.map((a) => a.std),
      gradientNorms: c.gradientNorms.map((g) => g.norm),
    })),
  };
}

/** BN off and on runs of the first mini-batch strategy (else the first strategy) that has both; null if none. */
export function bnEvidence(results: RunResult[]): BnEvidence | null {
  const ok = results.filter((r) => r.status === 'ok' && (r.checkpoints?.length ?? 0) > 0);
  const strategies = [...new Set(ok.map((r) => r.cell.strategy))];
  const ordered = [
    ...strategies.filter((s) => s.startsWith('mini')),
    ...strategies.filter((s) => !s.startsWith('mini')),
  ];
  for (const strategy of ordered) {
    const runs = ok.filter((r) => r.cell.strategy === strategy);
    const off = runs.filter((r) => !r.cell.bn);
    const on = runs.filter((r) => r.cell.bn && (r.cell.bnVariant ?? 'plain') === 'plain');
    const seed = off.map((r) => r.cell.seed).find((s) => on.some((r) => r.cell.seed === s));
    if (seed === undefined) continue;
    const pick = (list: RunResult[]) => profileOf(list.find((r) => r.cell.seed === seed) as RunResult);
    return { strategy, off: pick(off), on: pick(on) };
  }
  return null;
}

/** Largest over smallest hidden-layer output std, over all layers and checkpoints. */
export function activationSpread(profile: LayerProfile): number {
  const stds = profile.checkpoints.flatMap((c) => c.activationStd);
  return Math.max(...stds) / Math.min(...stds);
}

/** First layer's gradient norm over the output layer's, geometric mean over the checkpoints. */
export function firstToLastGradient(profile: LayerProfile): number {
  const logs = profile.checkpoints.map((c) =>
    Math.log(c.gradientNorms[0] / c.gradientNorms[c.gradientNorms.length - 1]),
  );
  return Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length);
}

/** Hidden layers every checkpoint has statistics of (0 without checkpoints). */
const hiddenLayers = (p: LayerProfile): number =>
  p.checkpoints.length === 0 ? 0 : Math.min(...p.checkpoints.map((c) => c.activationStd.length));

export function checkBnClaim(measured: BnEvidence | null, plot: string | null): ClaimCheck {
  const base = {
    id: 'batch-norm',
    claim: 'BatchNorm keeps layer activations steadier and gradients from vanishing',
    rule: BN_RULE,
  };
  if (!measured) {
    return {
      ...base,
      evidence: 'no strategy has runs with BN off and on',
      plot,
      verdict: cannotBeChecked('no BN off/on pair'),
    };
  }
  const { off, on, strategy } = measured;
  const layers = Math.min(hiddenLayers(off), hiddenLayers(on));
  if (layers < 2) {
    const evidence = `${strategy}: ${layers} hidden layers, ${Math.min(off.checkpoints.length, on.checkpoints.length)} checkpoints`;
    return {
      ...base,
      evidence,
      plot,
      verdict: cannotBeChecked('the model needs two or more hidden layers and checkpoints'),
    };
  }
  const spread = { off: activationSpread(off), on: activationSpread(on) };
  const ratio = { off: firstToLastGradient(off), on: firstToLastGradient(on) };
  const evidence =
    `${strategy}, ${layers} hidden layers, ${on.checkpoints.length} checkpoints: output std max/min ` +
    `${figure(spread.off)} without BN, ${figure(spread.on)} with; first/output gradient norm ` +
    `${figure(ratio.off)} without BN, ${figure(ratio.on)} with`;
  const steadier = spread.on < spread.off;
  const flowing = ratio.on > ratio.off;
  if (steadier && flowing) return { ...base, evidence, plot, verdict: holds() };
  if (steadier) {
    return {
      ...base,
      evidence,
      plot,
      verdict: holdsInPart('activations steadier, but the first layer gets no larger share of gradient'),
    };
  }
  if (flowing) {
    return {
      ...base,
      evidence,
      plot,
      verdict: holdsInPart('the first layer gets more gradient, but activations are not steadier'),
    };
  }
  return {
    ...base,
    evidence,
    plot,
    verdict: doesNotHold('neither steadier activations nor larger first-layer gradients with BN'),
  };
}
