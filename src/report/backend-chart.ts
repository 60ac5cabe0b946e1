/**
 * The report's "time per epoch by backend" chart, for an experiment that lists backends: per
 * configuration, a bar per backend side by side of its seconds per epoch (mean ± standard deviation
 * over seeds), a panel per BatchNorm setting, and under it what each backend computed on, or why
 * it did not run. Which charts the report has is report.ts's.
 */
import { BackendProbe, describeDevice } from '../backend';
import type { RunResult } from '../experiment/result';
import { type ChartSpec, type GroupField, barChart } from './charts';
import { bnLabel, seriesLabeller, seriesTitle } from './report-data';
import type { SummaryRow } from './summary';

/** Longest line under the chart: a backend's full reason is in backends.json and the report's text. */
const MAX_LINE = 140;

/** `webgpu: software GPU (...)`, `tensorflow: not run here: <first line of why>`. */
export function backendLines(probes: BackendProbe[]): string[] {
  return probes.map((p) =>
    p.info ? `${p.name}: ${describeDevice(p.info)}` : `${p.name}: not run here: ${p.reason ?? 'unknown'}`,
  );
}

/** The chart and its note; null when the summary has fewer than two backends. */
export function backendTimeChart(
  results: RunResult[],
  summary: SummaryRow[],
  probes: BackendProbe[] | null,
  bnFacet: GroupField,
): { spec: ChartSpec; note: string[] } | null {
  const backends = [...new Set(summary.flatMap((row) => (row.backend === null ? [] : [row.backend])))];
  if (backends.length < 2) return null;
  // The backend is the chart's colour, so the series are the configurations without it.
  const label = seriesLabeller(results, { backend: false });
  const data = summary.flatMap((row) => {
    const run = results.find((r) => r.cell.group === row.group);
    const seconds = row.steadyEpochSeconds ?? row.firstEpochSeconds;
    if (!run || row.backend === null) return [];
    const value = seconds?.mean ?? null;
    return [{ series: label(run), bn: bnLabel(run), backend: row.backend, value, std: seconds?.std ?? null }];
  });
  const note = backendLines(probes ?? []).map((line) =>
    line.length <= MAX_LINE ? line.split('\n')[0] : `${line.split('\n')[0].slice(0, MAX_LINE - 1)}…`,
  );
  const spec = barChart({
    title: 'Time per epoch by backend',
    x: { field: 'series', title: seriesTitle(results, { backend: false }), sort: [...new Set(results.map(label))] },
    y: { field: 'value', title: 'Seconds per epoch' },
    color: { field: 'backend', title: 'Backend', sort: backends },
    facet: bnFacet,
    errorField: 'std',
    note,
    data,
  });
  return { spec, note };
}
