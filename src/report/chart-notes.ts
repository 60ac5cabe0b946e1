/**
 * The note under each chart: every configuration the chart does not draw, or draws only in part,
 * and why (a failed run, a loss that stopped being finite, nothing this chart can show). Drawing
 * the note is charts.ts's; choosing the charts is report.ts's.
 */
import type { RunResult } from '../experiment/result';
import { bnLabel } from './report-data';
import { outcomeMessage, outcomeOf } from './run-status';

/** Longest note line: the rest of an error is in the table, results.jsonl and report.html. */
const MAX_LINE = 140;

/** The key a chart row and a run share: series label and BN. */
const key = (series: unknown, bn: unknown): string => `${String(series)}|${String(bn)}`;

/**
 * One line per configuration (series and BN) of `results` that `data` lacks, or that lost runs to a
 * failure or a non-finite loss. `empty` says why an configuration with only finished runs has nothing
 * drawn (e.g. full batch's gradient noise is 0, which a log scale cannot show).
 */
export function missingNote(
  results: RunResult[],
  data: Record<string, unknown>[],
  label: (r: RunResult) => string,
  empty = 'no values to draw',
): string[] {
  const drawn = new Set(data.map((row) => key(row.series, row.bn)));
  const bnVaries = new Set(results.map(bnLabel)).size > 1;
  const groups = new Map<string, RunResult[]>();
  for (const r of results) groups.set(key(label(r), bnLabel(r)), [...(groups.get(key(label(r), bnLabel(r))) ?? []), r]);
  const lines: string[] = [];
  for (const [k, runs] of groups) {
    const name = bnVaries ? `${label(runs[0])}, ${bnLabel(runs[0])}` : label(runs[0]);
    const why = reasons(runs);
    if (!drawn.has(k)) lines.push(`${name}: not drawn (${why ?? empty})`);
    else if (why !== null) {
      const failed = runs.filter((r) => outcomeOf(r) === 'failed').length;
      if (failed === 0) lines.push(`${name}: ${why}; drawn up to there`);
      else lines.push(`${name}: drawn from ${runs.length - failed} of ${runs.length} runs (${why})`);
    }
  }
  return lines.map(shorten);
}

/**
 * What went wrong in these runs of one configuration: per outcome, how many runs (when not all) and
 * the first run's message (seeds fail with messages that differ only in details such as layer names).
 */
function reasons(runs: RunResult[]): string | null {
  const parts: string[] = [];
  for (const outcome of ['failed', 'nan'] as const) {
    const hit = runs.filter((r) => outcomeOf(r) === outcome);
    if (hit.length === 0) continue;
    const message = outcomeMessage(hit[0]) ?? outcome;
    parts.push(hit.length === runs.length ? message : `${hit.length} of ${runs.length} ${message}`);
  }
  return parts.length > 0 ? parts.join('; ') : null;
}

function shorten(line: string): string {
  return line.length <= MAX_LINE ? line : `${line.slice(0, MAX_LINE - 1).replace(/\s+\S*$/, '')}…`;
}

/** The text on a configuration's bar: 'failed' or 'NaN-stopped' (with counts when some seeds did), else ''. */
export function barLabel(runs: RunResult[]): string {
  const count = (outcome: string): number => runs.filter((r) => outcomeOf(r) === outcome).length;
  const part = (n: number, what: string): string[] =>
    n === 0 ? [] : [n === runs.length ? what : `${n}/${runs.length} ${what}`];
  return [...part(count('failed'), 'failed'), ...part(count('nan'), 'NaN-stopped')].join(', ');
}
