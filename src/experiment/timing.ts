/**
 * A run's time figures from its epoch records, which count training only (the trainer times each
 * epoch's updates; test evaluation and probes fall outside). One basis for every rate: the epochs
 * after the first (the first is warm-up: kernel compilation, first allocations) when there are two
 * or more, else the first epoch. Time per epoch counts whole epochs only (every update made), since
 * an update or seconds budget ends the last epoch part-way; time per update counts partial ones too.
 */
import type { RunEpoch, RunResult, RunTiming } from './result';

export function timingOf(epochs: RunEpoch[], updatesPerEpoch: number): RunTiming {
  const basis = epochs.length > 1 ? epochs.slice(1) : epochs;
  const sum = (list: RunEpoch[], f: (e: RunEpoch) => number): number => list.reduce((s, e) => s + f(e), 0);
  const whole = basis.filter((e) => e.updates === updatesPerEpoch);
  const seconds = sum(basis, (e) => e.seconds);
  const updates = sum(basis, (e) => e.updates);
  return {
    basis: epochs.length > 1 ? 'after the first epoch' : 'first epoch only',
    firstEpochSeconds: epochs[0]?.seconds ?? 0,
    epochSeconds: whole.length > 0 ? sum(whole, (e) => e.seconds) / whole.length : null,
    updateSeconds: updates > 0 ? seconds / updates : 0,
    samplesPerSecond: seconds > 0 ? sum(basis, (e) => e.samples) / seconds : 0,
    trainingSeconds: sum(epochs, (e) => e.seconds),
    updatesPerEpoch,
  };
}

/** First epoch whose test (else training) accuracy reaches `target`, with cumulative seconds and updates. */
export function timeToTarget(epochs: RunEpoch[], target: number): NonNullable<RunResult['target']> {
  let seconds = 0;
  let updates = 0;
  for (const e of epochs) {
    seconds += e.seconds;
    updates += e.updates;
    const accuracy = e.testAccuracy ?? e.accuracy;
    if (accuracy !== null && accuracy >= target)
      return { accuracy: target, reached: true, epoch: e.epoch + 1, seconds, updates };
  }
  return { accuracy: target, reached: false, epoch: null, seconds: null, updates: null };
}
