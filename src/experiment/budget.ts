/**
 * Training budgets that make runs comparable: equal epochs, equal weight updates, or equal seconds
 * of training. Epoch budgets are the trainer's `epochs`; the other two stop the trainer mid-epoch
 * through a callback once the budget is spent. A seconds budget counts training only: each epoch's
 * own seconds (as the trainer records them, test evaluation excluded) and, within the current epoch,
 * the time since the previous epoch's callbacks ended (so probes and evaluation are not counted).
 */
import type { Callback } from '../training';

export type Budget =
  { kind: 'epochs'; epochs: number } | { kind: 'updates'; updates: number } | { kind: 'seconds'; seconds: number };

/**
 * Epochs to give the trainer: enough for the budget, with the callback ending it exactly. A seconds
 * budget has no epoch count of its own: the trainer gets an unbounded one.
 */
export function epochsFor(budget: Budget, updatesPerEpoch: number): number {
  if (budget.kind === 'epochs') return budget.epochs;
  if (budget.kind === 'updates') return Math.ceil(budget.updates / updatesPerEpoch);
  return Number.MAX_SAFE_INTEGER;
}

/** The budget's limit in its own unit. */
export function budgetLimit(budget: Budget): number {
  return budget.kind === 'epochs' ? budget.epochs : budget.kind === 'updates' ? budget.updates : budget.seconds;
}

/**
 * Stops training when an update or seconds budget is spent; null for an epoch budget. Place it last
 * among the callbacks, so that the time other callbacks take at an epoch's end is not counted.
 */
export function budgetCallback(budget: Budget, now: () => number = () => performance.now()): Callback | null {
  if (budget.kind === 'epochs') return null;
  if (budget.kind === 'updates') {
    return {
      onStep: (progress, control) => {
        if (progress.updates >= budget.updates)
          control.stop({ kind: 'budget', message: `budget: ${budget.updates} updates` });
      },
    };
  }
  let finishedEpochs = 0;
  let epochStart = 0;
  return {
    onTrainBegin: (info) => {
      // A run resumed from a checkpoint has spent its earlier epochs' seconds already.
      finishedEpochs = info.completedEpochs.reduce((sum, e) => sum + e.seconds, 0);
      epochStart = now();
    },
    onStep: (_progress, control) => {
      if (finishedEpochs + (now() - epochStart) / 1000 >= budget.seconds)
        control.stop({ kind: 'budget', message: `budget: ${budget.seconds} seconds of training` });
    },
    onEpochEnd: (record) => {
      finishedEpochs += record.seconds;
      epochStart = now();
    },
  };
}

/**
 * The largest budget of each kind a run may have: far beyond any comparison worth running (a week
 * of training), near enough that a slip of the keyboard is an error, not a run that never ends.
 */
export const BUDGET_LIMITS: Readonly<Record<Budget['kind'], number>> = {
  epochs: 10000,
  updates: 100_000_000,
  seconds: 7 * 24 * 3600,
};

/** Why a budget of `value` `kind` is refused (above BUDGET_LIMITS), or null. */
export function budgetLimitProblem(kind: Budget['kind'], value: number): string | null {
  return value > BUDGET_LIMITS[kind] ? `at most ${BUDGET_LIMITS[kind]} ${kind} per run, got ${value}` : null;
}

/** Parses `epochs:5`, `updates:600`, `seconds:30` (or a bare number of epochs). */
export function parseBudget(text: string): Budget {
  const match = /^(?:(epochs|updates|seconds):)?([0-9]+(?:\.[0-9]+)?)$/.exec(text.trim());
  const value = match ? Number(match[2]) : NaN;
  const kind = (match?.[1] ?? 'epochs') as Budget['kind'];
  if (!match || !(value > 0) || (kind !== 'seconds' && !Number.isInteger(value))) {
    throw new Error(`budget "${text}" is not one of epochs:<n>, updates:<n>, seconds:<s> with a positive value`);
  }
  const tooLarge = budgetLimitProblem(kind, value);
  if (tooLarge) throw new Error(`budget "${text}": ${tooLarge}`);
  return kind === 'epochs'
    ? { kind, epochs: value }
    : kind === 'updates'
      ? { kind, updates: value }
      : { kind, seconds: value };
}
