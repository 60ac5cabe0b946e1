/**
 * Linear warm-up in front of any schedule, and Goyal et al. 2017's form of it: with the linear
 * scaling rule (peak = k x the reference rate), warm-up starts from the reference rate, 1/k of the
 * peak, when the schedule does not say where to start.
 */
import { constantRate } from './shapes';
import {
  Duration,
  LrSchedule,
  RunShape,
  checkDuration,
  checkNumber,
  durationLabel,
  updatesIn,
  updatesText,
} from './schedule';

export interface WarmupOptions {
  /** The factor of the peak at update 0, in [0, 1]. Default: 0 (Goyal et al.'s rule: see startWarmupAt). */
  from?: number;
}

/** A warm-up of n updates: from + (1 - from) x update / n, then `then` (starting at its update 0). */
class Warmup implements LrSchedule {
  readonly label: string;
  readonly spansRun: boolean;

  constructor(
    readonly length: Duration,
    readonly then: LrSchedule,
    readonly from: number | undefined,
  ) {
    const head = `warmup:${durationLabel(length)}${from === undefined ? '' : `,from=${from}`}`;
    this.label = then.label === 'constant' ? head : `${head}+${then.label}`;
    this.spansRun = then.spansRun;
  }

  resolve(run: RunShape): (update: number) => number {
    const n = updatesIn(this.length, run);
    const from = this.from ?? 0;
    if (this.then.spansRun && n >= run.totalUpdates) {
      throw new Error(
        `warmup: ${n} updates of warm-up leave none of the run's ${run.totalUpdates} for ${this.then.label}`,
      );
    }
    const rest = this.then.resolve({ ...run, totalUpdates: Math.max(0, run.totalUpdates - n) });
    return (update) => (update < n ? from + ((1 - from) * update) / n : rest(update - n));
  }

  misfit(run: RunShape): string | null {
    const n = updatesIn(this.length, run);
    const warm = `its warm-up of ${updatesText(n)}`;
    if (n >= run.totalUpdates) {
      return `${warm} does not end within the ${updatesText(run.totalUpdates)} it has: the run never trains at its peak rate`;
    }
    const rest = this.then.misfit?.({ ...run, totalUpdates: run.totalUpdates - n }) ?? null;
    return rest === null ? null : `after ${warm}, ${rest}`;
  }

  toJSON(): string {
    return this.label;
  }
}

/**
 * Linear warm-up over `length` updates (or `{ epochs }`) in front of `then` (default: the constant
 * peak). @example warmup(500, cosine({ min: 0.01 })) // 0 -> peak over 500 updates, then a cosine decay
 */
export function warmup(length: Duration, then: LrSchedule = constantRate(), options: WarmupOptions = {}): LrSchedule {
  checkDuration('warmup: length', length);
  if (options.from !== undefined) checkNumber('warmup: from', options.from, 0, 1, '[0, 1]');
  return new Warmup(length, then, options.from);
}

/**
 * The schedule with its leading warm-up starting at `from` when it does not name a start itself;
 * any other schedule as it is. compare uses it for Goyal et al.'s warm-up under `lrRule: linear`.
 */
export function startWarmupAt(schedule: LrSchedule, from: number): LrSchedule {
  if (!(schedule instanceof Warmup) || schedule.from !== undefined) return schedule;
  return warmup(schedule.length, schedule.then, { from: Math.min(1, from) });
}
