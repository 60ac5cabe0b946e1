/**
 * Training budgets that make runs comparable: equal epochs, equal weight updates, or equal
 * wall-clock seconds. Epoch budgets are the trainer's `epochs`; the other two stop the trainer
 * mid-epoch through a callback once the budget is spent.
 */
import type { Callback } from '../training';

export type Budget =
  { kind: 'epochs'; epochs: number } | { kind: 'updates'; updates: number } | { kind: 'seconds'; seconds: number };

/** Epochs to give the trainer: enough for the budget, with the callback ending it exactly. */
export function epochsFor(budget: Budget, updatesPerEpoch: number): number {
  if (budget.kind === 'epochs') return budget.epochs;
  if (budget.kind === 'updates') return Math.ceil(budget.updates / updatesPerEpoch);
  return Number.MAX_SAFE_INTEGER;
}

/** Stops training when an update or seconds budget is spent; null for an epoch budget. */
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
  let start = 0;
  return {
    onTrainBegin: () => {
      start = now();
    },
    onStep: (_progress, control) => {
      if (now() - start >= budget.seconds * 1000)
        control.stop({ kind: 'budget', message: `budget: ${budget.seconds} seconds` });
    },
  };
}

/** Parses `epochs:5`, `updates:600`, `seconds:30` (or a bare number of epochs). */
export function parseBudget(text: string): Budget {
  const match = /^(?:(epochs|updates|seconds):)?([0-9]+(?:\.[0-9]+)?)$/.exec(text.trim());
  const value = match ? Number(match[2]) : NaN;
  const kind = (match?.[1] ?? 'epochs') as Budget['kind'];
  if (!match || !(value > 0) || (kind !== 'seconds' && !Number.isInteger(value))) {
    throw new Error(`budget "${text}" is not one of epochs:<n>, updates:<n>, seconds:<s> with a positive value`);
  }
  return kind === 'epochs'
    ? { kind, epochs: value }
    : kind === 'updates'
      ? { kind, updates: value }
      : { kind, seconds: value };
}
