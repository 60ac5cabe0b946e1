/**
 * How a run ended, as the summary and the report tell it: finished, stopped because its loss was no
 * longer finite, or failed. Reads `history.stopReason` in either form it is written in (a sentence,
 * or `{ kind, message }`); deciding when to stop is the training loop's business.
 */
import type { RunResult } from '../experiment/result';

export interface StopReason {
  /** The training loop's StopKind ('non-finite-loss', 'early-stopping', 'target-reached', 'budget', 'callback'), or 'other'. */
  kind: string;
  message: string;
}

/** The sentences older results files hold, by the kind the training loop now writes. */
const SENTENCE_KINDS: [RegExp, string][] = [
  [/^loss became/, 'non-finite-loss'],
  [/^early stopping/, 'early-stopping'],
  [/^target reached/, 'target-reached'],
  [/^budget/, 'budget'],
];

/** Why a run's training ended early, or null when it ran its course (or failed before training). */
export function stopReasonOf(r: RunResult): StopReason | null {
  const reason: unknown = r.history?.stopReason;
  if (reason === null || reason === undefined) return null;
  if (typeof reason === 'string') {
    return { kind: SENTENCE_KINDS.find(([pattern]) => pattern.test(reason))?.[1] ?? 'other', message: reason };
  }
  const { kind, message } = reason as Partial<StopReason>;
  return { kind: String(kind ?? 'other'), message: String(message ?? kind ?? 'stopped') };
}

export type Outcome = 'ok' | 'nan' | 'failed';

/** 'failed': no result; 'nan': trained until its loss was no longer finite; 'ok': otherwise. */
export function outcomeOf(r: RunResult): Outcome {
  if (r.status === 'failed') return 'failed';
  return stopReasonOf(r)?.kind === 'non-finite-loss' ? 'nan' : 'ok';
}

/** The first sentence of a failed run's error, or the stop message of a NaN-stopped run; null for 'ok'. */
export function outcomeMessage(r: RunResult): string | null {
  const outcome = outcomeOf(r);
  if (outcome === 'failed') return `failed: ${firstSentence(r.error ?? 'unknown error')}`;
  if (outcome === 'nan') return `stopped: ${stopReasonOf(r)?.message ?? 'loss not finite'}`;
  return null;
}

/** Up to the first '. ' (the rest of an error is in results.jsonl and report.html). */
export function firstSentence(text: string): string {
  return text.split(/(?<=\.) /)[0];
}
