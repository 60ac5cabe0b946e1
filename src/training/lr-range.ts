/**
 * The arithmetic of the learning-rate range test (./lr-find): the exponentially rising rate, the
 * smoothed loss, the stopping rule and the suggested rate, as pure functions of the losses read.
 */

export interface LrFindPoint {
  /** 0-based update. */
  update: number;
  learningRate: number;
  /** The loss of this update's batch, before the update. */
  loss: number;
  /** The bias-corrected exponential moving average of the losses so far. */
  smoothedLoss: number;
}

export interface LrSuggestion {
  learningRate: number;
  /** The rule, in words, with the numbers it used. */
  rule: string;
}

/** minLr x (maxLr / minLr)^(i / (updates - 1)): minLr at update 0, maxLr at the last. */
export function rangeRate(minLr: number, maxLr: number, updates: number, update: number): number {
  return updates === 1 ? minLr : minLr * (maxLr / minLr) ** (update / (updates - 1));
}

/**
 * avg_n = beta avg_(n-1) + (1 - beta) loss_n, reported as avg_n / (1 - beta^n) so that the first
 * values are not pulled towards 0 (fastai's lr_find does the same, beta 0.98).
 */
export class LossSmoother {
  private average = 0;
  private count = 0;

  constructor(readonly beta: number) {}

  add(loss: number): number {
    this.average = this.beta * this.average + (1 - this.beta) * loss;
    this.count++;
    return this.average / (1 - this.beta ** this.count);
  }
}

/** Why to stop after this point, or null: a loss that is not finite, or a smoothed loss above divergence x the best. */
export function divergence(point: LrFindPoint, best: number, factor: number): string | null {
  if (!Number.isFinite(point.loss)) return `the loss became ${point.loss} at rate ${fmt(point.learningRate)}`;
  if (point.smoothedLoss > factor * best) {
    return `the smoothed loss ${point.smoothedLoss.toPrecision(4)} exceeded ${factor} x the best (${best.toPrecision(4)}) at rate ${fmt(point.learningRate)}`;
  }
  return null;
}

/**
 * One tenth of the rate at which the smoothed loss was lowest: the lowest point is already at the
 * edge of divergence, a tenth of it still descends fast (the rule of fastai's `lr_min`).
 */
export function suggestRate(points: LrFindPoint[]): LrSuggestion | null {
  const finite = points.filter((p) => Number.isFinite(p.smoothedLoss));
  if (finite.length === 0) return null;
  const lowest = finite.reduce((a, b) => (b.smoothedLoss < a.smoothedLoss ? b : a));
  return {
    learningRate: lowest.learningRate / 10,
    rule: `one tenth of the rate with the lowest smoothed loss (${lowest.smoothedLoss.toPrecision(4)} at rate ${fmt(lowest.learningRate)}, update ${lowest.update + 1})`,
  };
}

/** A rate in three significant digits: 0.00316, 3.16e-7. */
export function fmt(rate: number): string {
  return rate >= 1e-3 && rate < 1e4 ? String(Number(rate.toPrecision(3))) : rate.toExponential(2);
}
