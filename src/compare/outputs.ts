/**
 * The files an experiment's results are summed up in: summary.csv, plots/ and report.html, written
 * the same way by a local run (compare.ts) and by merging shards (merge.ts), so that both give the
 * same files for the same results. Which results go in, and in which order, is the callers'.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import type { RunResult } from '../experiment/result';
import type { ExperimentSpec } from '../experiment/spec';
import { ReportExtras, writeReport } from '../report/report';
import { SummaryRow, summarize, summaryCsv } from '../report/summary';
import { readBackendsFile } from './backend-factor';

export interface OutputFiles {
  summary: string;
  report: string | null;
  plots: string[];
}

/**
 * Writes summary.csv and (unless `report` is false) the plots and report.html for `results`, with
 * the caller's `extras` in the report, which also states the backends outDir's backends.json records, if any.
 */
export async function writeOutputs(
  outDir: string,
  spec: ExperimentSpec,
  results: RunResult[],
  { report = true, extras = {} }: { report?: boolean; extras?: ReportExtras } = {},
): Promise<{ summary: SummaryRow[]; files: OutputFiles }> {
  const summary = summarize(results);
  const summaryPath = join(outDir, 'summary.csv');
  await writeFileAtomic(summaryPath, summaryCsv(summary));
  const backends = await readBackendsFile(outDir);
  const written = report ? await writeReport(outDir, spec.name, results, summary, spec, { ...extras, backends }) : null;
  return { summary, files: { summary: summaryPath, report: written?.html ?? null, plots: written?.plots ?? [] } };
}

/**
 * The results of `cellIds`, in that order, one per cell: its last successful run, else its last
 * recorded one (a failure, or a run whose worker was lost); results of other cells are left out.
 */
export function resultsOfCells(results: RunResult[], cellIds: string[]): RunResult[] {
  const chosen = new Map<string, RunResult>();
  for (const r of results) {
    if (r.status === 'ok' || chosen.get(r.id)?.status !== 'ok') chosen.set(r.id, r);
  }
  return cellIds.flatMap((id) => chosen.get(id) ?? []);
}
