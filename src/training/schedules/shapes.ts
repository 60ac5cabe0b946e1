/**
 * The schedule shapes after any warm-up: constant, step decay, exponential decay, cosine (with
 * warm restarts when given a period), and one-cycle. Each is a factor of the peak rate per update;
 * each checks its settings when made, naming them, and its fit to the run when resolved.
 */
import {
  Duration,
  LrSchedule,
  RunShape,
  checkDuration,
  checkNumber,
  durationLabel,
  makeSchedule,
  updatesIn,
  updatesText,
} from './schedule';

/** The peak rate at every update: a run with it trains exactly as one without a schedule. */
export function constantRate(): LrSchedule {
  return makeSchedule('constant', false, () => () => 1);
}

export interface DecayOptions {
  /** Updates (or `{ epochs }`) per decay by `factor`. */
  every: Duration;
  /** Multiplier per `every`, in (0, 1]. */
  factor: number;
}

/** factor^floor(update / every): the rate drops by `factor` at every multiple of `every`. */
export function stepDecay(options: DecayOptions): LrSchedule {
  const { every, factor } = checkDecay('stepDecay', options);
  const schedule = makeSchedule(`step:every=${durationLabel(every)},factor=${factor}`, false, (run) => {
    const k = updatesIn(every, run);
    return (update) => factor ** Math.floor(update / k);
  });
  const misfit = (run: RunShape): string | null => {
    const k = updatesIn(every, run);
    const has = `the ${updatesText(run.totalUpdates)} it has`;
    return k < run.totalUpdates ? null : `its first step, after ${updatesText(k)}, does not come within ${has}`;
  };
  return { ...schedule, misfit };
}

/** factor^(update / every): a smooth decay by `factor` per `every` (Keras' ExponentialDecay). */
export function exponentialDecay(options: DecayOptions): LrSchedule {
  const { every, factor } = checkDecay('exponentialDecay', options);
  return makeSchedule(`exp:every=${durationLabel(every)},factor=${factor}`, false, (run) => {
    const k = updatesIn(every, run);
    return (update) => factor ** (update / k);
  });
}

function checkDecay(who: string, options: DecayOptions): DecayOptions {
  checkDuration(`${who}: every`, options?.every);
  checkNumber(`${who}: factor`, options.factor, Number.MIN_VALUE, 1, '(0, 1]');
  return options;
}

export interface CosineOptions {
  /** Updates (or `{ epochs }`) of one half cosine; after each the rate restarts at the peak (SGDR). Default: the whole run, no restart. */
  period?: Duration;
  /** The lowest factor, reached at the end of each period, in [0, 1). Default: 0. */
  min?: number;
  /** Each period is `mult` times as long as the one before (an integer, as SGDR's T_mult). Default: 1. */
  mult?: number;
}

/**
 * min + (1 - min)(1 + cos(pi t / T)) / 2, t the update within its period of T updates (Loshchilov
 * and Hutter 2017). Without a period it decays once over the run's updates.
 */
export function cosine(options: CosineOptions = {}): LrSchedule {
  const { period, min = 0, mult = 1 } = options;
  if (period !== undefined) checkDuration('cosine: period', period);
  checkNumber('cosine: min', min, 0, 1 - Number.EPSILON, '[0, 1)');
  if (!Number.isInteger(mult) || mult < 1) throw new Error(`cosine: mult must be a positive integer, got ${mult}`);
  if (mult > 1 && period === undefined)
    throw new Error('cosine: mult needs a period (a run-long period never restarts)');
  const settings = [
    ...(period === undefined ? [] : [`period=${durationLabel(period)}`]),
    ...(min === 0 ? [] : [`min=${min}`]),
    ...(mult === 1 ? [] : [`mult=${mult}`]),
  ];
  const label = settings.length === 0 ? 'cosine' : `cosine:${settings.join(',')}`;
  const schedule = makeSchedule(label, period === undefined, (run) => {
    const first = period === undefined ? run.totalUpdates : updatesIn(period, run);
    if (first < 1) throw new Error(`cosine: the run has no updates to decay over`);
    return (update) => {
      let t = mult === 1 ? update % first : update;
      let length = first;
      while (t >= length) {
        t -= length;
        length *= mult;
      }
      return min + ((1 - min) * (1 + Math.cos((Math.PI * t) / length))) / 2;
    };
  });
  const misfit = (run: RunShape): string | null => {
    const first = period === undefined ? run.totalUpdates : updatesIn(period, run);
    const has = `the ${updatesText(run.totalUpdates)} it has`;
    return first <= run.totalUpdates ? null : `its period of ${updatesText(first)} does not end within ${has}`;
  };
  return { ...schedule, misfit };
}

export interface OneCycleOptions {
  /** Share of the run spent rising to the peak, in (0, 1). Default: 0.3. */
  pct?: number;
  /** The first rate is the peak / div. Default: 25. */
  div?: number;
  /** The last rate is the first / finalDiv. Default: 10000. */
  finalDiv?: number;
}

/**
 * Smith's one-cycle policy over the run, as PyTorch's OneCycleLR computes it (two phases, cosine
 * annealing; momentum is not cycled): from peak/div up to the peak at update pct x T - 1, then down to
 * peak/(div x finalDiv) at update T - 1, where T is the run's updates.
 */
export function oneCycle(options: OneCycleOptions = {}): LrSchedule {
  const { pct = 0.3, div = 25, finalDiv = 1e4 } = options;
  checkNumber('oneCycle: pct', pct, Number.MIN_VALUE, 1 - Number.EPSILON, '(0, 1)');
  checkNumber('oneCycle: div', div, 1, Number.MAX_VALUE, '[1, infinity)');
  checkNumber('oneCycle: finalDiv', finalDiv, 1, Number.MAX_VALUE, '[1, infinity)');
  const settings = [
    ...(pct === 0.3 ? [] : [`pct=${pct}`]),
    ...(div === 25 ? [] : [`div=${div}`]),
    ...(finalDiv === 1e4 ? [] : [`final=${finalDiv}`]),
  ];
  const label = settings.length === 0 ? 'onecycle' : `onecycle:${settings.join(',')}`;
  return makeSchedule(label, true, (run) => {
    const total = run.totalUpdates;
    const peakAt = pct * total - 1;
    if (!(peakAt > 0 && total - 1 > peakAt)) {
      throw new Error(`oneCycle: a run of ${total} updates is too short for pct=${pct} (it needs pct x updates > 1)`);
    }
    const first = 1 / div;
    const last = first / finalDiv;
    const anneal = (from: number, to: number, share: number) =>
      to + ((from - to) * (Math.cos(Math.PI * share) + 1)) / 2;
    return (update) =>
      update <= peakAt
        ? anneal(first, 1, update / peakAt)
        : anneal(1, last, Math.min(1, (update - peakAt) / (total - 1 - peakAt)));
  });
}
