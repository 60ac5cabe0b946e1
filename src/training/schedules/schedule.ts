/**
 * What a learning-rate schedule is: for each update of a run (0-based), a factor of the peak rate
 * (the learning rate the run is given, after any batch-size rule). Owns durations (updates or
 * epochs) and the run a schedule is resolved against; the shapes are ./shapes.ts and ./warmup.ts,
 * their text form ./parse.ts, and setting an optimizer's rate ./rate-setter.ts.
 */

/** A number of updates, or `{ epochs: n }`: n epochs' worth of updates. */
export type Duration = number | { epochs: number };

/** What a schedule is resolved against. */
export interface RunShape {
  updatesPerEpoch: number;
  /** The updates the schedule spans: the run's length, or what is left of it after a warm-up. */
  totalUpdates: number;
}

export interface LrSchedule {
  /** The schedule as the command line writes it; parseLrSchedule(label) gives it back. */
  readonly label: string;
  /** Whether it stretches over the run's length (cosine without a period, one-cycle). */
  readonly spansRun: boolean;
  /** The factor of the peak rate at each update of a run of this shape. Throws when the run cannot hold it. */
  resolve(run: RunShape): (update: number) => number;
  /**
   * Why the schedule would not do within a run of this shape what it says (a warm-up that never
   * ends, a step or a period past the run's end), or null. compare refuses such a schedule before
   * training; train, which can be resumed for longer, does not ask.
   */
  misfit?(run: RunShape): string | null;
  /** Written as its label (spec.json, results files); parseLrSchedule reads it back. */
  toJSON(): string;
}

/** Checks a duration given to `who` (e.g. `stepDecay: every`), naming it and the value. */
export function checkDuration(who: string, duration: Duration): void {
  const n = typeof duration === 'number' ? duration : duration?.epochs;
  if (!Number.isInteger(n) || n < 1) {
    const shown = typeof duration === 'number' ? String(duration) : JSON.stringify(duration);
    throw new Error(
      `${who} must be a positive integer number of updates or { epochs: <positive integer> }, got ${shown}`,
    );
  }
}

/** Updates in `duration` for `run`. */
export function updatesIn(duration: Duration, run: RunShape): number {
  return typeof duration === 'number' ? duration : duration.epochs * run.updatesPerEpoch;
}

/** `1 update`, `8 updates`: a count of updates in a message. */
export function updatesText(n: number): string {
  return `${n} update${n === 1 ? '' : 's'}`;
}

/** `500` for 500 updates, `2ep` for two epochs: the command line's form. */
export function durationLabel(duration: Duration): string {
  return typeof duration === 'number' ? String(duration) : `${duration.epochs}ep`;
}

/** Checks that `value` is a finite number in the range, naming `who`. */
export function checkNumber(who: string, value: number, low: number, high: number, range: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < low || value > high)
    throw new Error(`${who} must be a number in ${range}, got ${String(value)}`);
}

/** A schedule from its parts, written as its label. */
export function makeSchedule(
  label: string,
  spansRun: boolean,
  resolve: (run: RunShape) => (update: number) => number,
): LrSchedule {
  return { label, spansRun, resolve, toJSON: () => label };
}
