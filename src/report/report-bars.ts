/**
 * The report's bar charts, one bar per configuration from the summary rows: every configuration
 * keeps its place, and one without a value (failed, or NaN-stopped with nothing to show) is an
 * empty bar labelled so. Which bar charts the report has is report.ts's choice.
 */
import type { RunResult } from '../experiment/result';
import type { SummaryRow, Stat } from './summary';
import { type ChartSpec, type GroupField, barChart } from './charts';
import { barLabel, missingNote } from './chart-notes';
import { bnLabel } from './report-data';

export interface BarContext {
  results: RunResult[];
  summary: SummaryRow[];
  label: (r: RunResult) => string;
  /** The series field with the report's colours and order. */
  series: GroupField;
  bnFacet: GroupField;
}

/**
 * A bar per summary row of `value(row)`'s mean ± std, and the note under it; null when there are no
 * runs at all.
 */
export function summaryBars(
  context: BarContext,
  value: (row: SummaryRow) => Stat | null,
  title: string,
  yTitle: string,
): { spec: ChartSpec; note: string[] } | null {
  const { results, summary, label, series, bnFacet } = context;
  if (summary.length === 0) return null;
  const runsOf = (group: string) => results.filter((r) => r.cell.group === group);
  const data = summary.map((row) => {
    const runs = runsOf(row.group);
    const s = value(row);
    return {
      series: runs.length > 0 ? label(runs[0]) : row.strategy,
      bn: runs.length > 0 ? bnLabel(runs[0]) : row.bn ? 'BN on' : 'BN off',
      // A configuration without a value keeps its row, and so its place, with a null height.
      value: s?.mean ?? null,
      std: s?.std ?? null,
      label: s === null && barLabel(runs) === '' ? 'no value' : barLabel(runs),
    };
  });
  const note = missingNote(
    results,
    data.filter((row) => row.value !== null),
    label,
  );
  const spec = barChart({
    title,
    x: { field: 'series', title: series.title, sort: series.sort },
    y: { field: 'value', title: yTitle },
    color: { ...series, legend: false },
    facet: bnFacet,
    errorField: 'std',
    labelField: 'label',
    note,
    data,
  });
  return { spec, note };
}
