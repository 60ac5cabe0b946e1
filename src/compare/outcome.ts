/**
 * How an experiment ended, for the exit status and the closing line: runs that failed, runs that
 * stopped early (a NaN or infinite loss; a spent budget is how a run is meant to end), and the
 * interruption that leaves results.jsonl to be resumed. Printing them is the CLI's.
 */
import type { RunResult } from '../experiment/result';
import { stopReasonOf } from '../report/run-status';

export interface Outcome {
  runs: number;
  failed: string[];
  /** Ids of runs whose training stopped before its budget. */
  stoppedEarly: string[];
}

export function outcomeOf(results: RunResult[]): Outcome {
  return {
    runs: results.length,
    failed: results.filter((r) => r.status === 'failed').map((r) => r.id),
    stoppedEarly: results.filter((r) => r.status === 'ok' && stoppedEarly(r)).map((r) => r.id),
  };
}

function stoppedEarly(r: RunResult): boolean {
  const reason = stopReasonOf(r);
  return reason !== null && reason.kind !== 'budget';
}

/** "of 4 runs, 2 failed and 1 stopped before the end of its budget", or null when every run finished. */
export function describeOutcome(outcome: Outcome): string | null {
  const parts = [
    outcome.failed.length > 0 ? `${outcome.failed.length} failed` : null,
    outcome.stoppedEarly.length > 0 ? `${outcome.stoppedEarly.length} stopped before the end of its budget` : null,
  ].filter((p) => p !== null);
  return parts.length === 0 ? null : `of ${outcome.runs} runs, ${parts.join(' and ')}`;
}

/** Thrown by compare() when its signal stopped it; results.jsonl holds every run finished before. */
export class CompareInterrupted extends Error {
  constructor(
    readonly outDir: string,
    /** Runs in results.jsonl that --resume will skip. */
    readonly finished: number,
    readonly total: number,
  ) {
    super(`interrupted: ${finished} of ${total} runs are finished in ${outDir}`);
    this.name = 'CompareInterrupted';
  }
}
