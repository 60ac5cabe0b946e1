/**
 * The experiment report: every chart as SVG and PNG under plots/, and one self-contained
 * report.html (charts inlined as SVG, the summary table, the spec). Chooses what to plot; the
 * specs are charts.ts's, the rendering chart-render.ts's, the numbers report-data.ts's.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import type { RunResult } from '../experiment/result';
import type { SummaryRow } from './summary';
import { type AxisField, type ChartSpec, type GroupField, type LineChartOptions, lineChart } from './charts';
import { renderSvg, svgToPng } from './chart-render';
import { missingNote } from './chart-notes';
import { summaryBars } from './report-bars';
import { backendTimeChart } from './backend-chart';
import type { BackendProbe } from '../backend';
import {
  type Row,
  checkpointRows,
  epochRows,
  gradNormRows,
  layerRows,
  rateRows,
  seriesColors,
  seriesLabeller,
  seriesTitle,
  bnLabel,
  updateRows,
} from './report-data';
import { LeadTable, RenderedChart, reportHtml } from './report-html';

/** BatchNorm panels in the order the experiment lists its cells: off, on, then the variants. */
const bnFacetOf = (results: RunResult[]): GroupField => ({
  field: 'bn',
  title: 'BatchNorm',
  sort: [...new Set(['BN off', 'BN on', ...results.map(bnLabel)])],
});

export interface ReportChart {
  name: string;
  caption: string;
  spec: ChartSpec;
  /** Configurations the chart does not draw, or draws in part, and why (also drawn in the spec). */
  note: string[];
}

type Draft = { name: string; caption: string; data: Record<string, unknown>[]; make: (note: string[]) => ChartSpec };

/** Rows that have a finite number in `field`: each chart draws whichever runs have its values. */
const having = <T extends Record<string, unknown>>(rows: T[], field: string): T[] =>
  rows.filter((row) => typeof row[field] === 'number' && Number.isFinite(row[field]));

/**
 * The chart specs for these results: every configuration in one colour across all charts, and a
 * note under each chart naming the configurations it lacks and why. Charts with no data at all are
 * left out.
 */
export function reportCharts(
  results: RunResult[],
  summary: SummaryRow[],
  backends: BackendProbe[] | null = null,
): ReportChart[] {
  const ok = results.filter((r) => r.status === 'ok');
  const label = seriesLabeller(results);
  // Legends in the order the experiment lists its cells (full, sgd, mini:32, ...), not alphabetically.
  const order = [...new Set(results.map(label))];
  const series = { field: 'series', title: seriesTitle(results), sort: order, colors: seriesColors(order) };
  const epochs = epochRows(ok);
  const bnFacet = bnFacetOf(results);
  const line = (
    name: string,
    caption: string,
    data: Record<string, unknown>[],
    chart: Omit<LineChartOptions, 'color' | 'facet' | 'data' | 'note'>,
    empty?: string,
  ): Draft & { empty?: string } => ({
    name,
    caption,
    data,
    empty,
    make: (note) => lineChart({ ...chart, color: series, facet: bnFacet, note, data }),
  });
  const epochAxis = { field: 'epoch', title: 'Epoch', integer: true };
  const drafts: (Draft & { empty?: string })[] = [
    line('loss-vs-epoch', 'Training loss per epoch (mean over seeds).', having(epochs, 'trainLoss'), {
      title: 'Training loss vs epoch',
      x: epochAxis,
      y: { field: 'trainLoss', title: 'Training loss', scale: 'log' },
    }),
    line('accuracy-vs-epoch', 'Test accuracy after each epoch.', having(epochs, 'testAccuracy'), {
      title: 'Test accuracy vs epoch',
      x: epochAxis,
      y: { field: 'testAccuracy', title: 'Test accuracy' },
    }),
    line(
      'loss-vs-updates',
      'Training loss of the batches of single updates (sampled, averaged over log-spaced ranges of updates), against the number of weight updates: SGD makes many cheap noisy steps, full batch few exact ones.',
      updateRows(ok),
      {
        title: 'Training loss vs weight updates',
        x: { field: 'update', title: 'Weight updates', scale: 'log' },
        y: { field: 'loss', title: "Loss of the update's batch", scale: 'log' },
      },
    ),
    line(
      'lr-vs-updates',
      'Learning rate of each sampled update, as the schedule set it (runs without a schedule keep their rate and are not drawn).',
      rateRows(ok),
      {
        title: 'Learning rate vs weight updates',
        x: { field: 'update', title: 'Weight updates' },
        y: { field: 'learningRate', title: 'Learning rate' },
      },
      'no schedule: the rate stays at the one in the table',
    ),
    line(
      'grad-norm-vs-updates',
      "Global norm of each sampled update's gradient before clipping (averaged over log-spaced ranges of updates).",
      gradNormRows(ok),
      {
        title: 'Gradient norm before clipping vs weight updates',
        x: { field: 'update', title: 'Weight updates', scale: 'log' },
        y: { field: 'gradNorm', title: 'Gradient norm', scale: 'log' },
      },
      'no clipping: the norm is not recorded',
    ),
    line(
      'loss-vs-seconds',
      'Training loss at the end of each epoch against wall-clock training time.',
      having(epochs, 'trainLoss'),
      {
        title: 'Training loss vs seconds',
        x: { field: 'seconds', title: 'Training seconds' },
        y: { field: 'trainLoss', title: 'Training loss', scale: 'log' },
      },
    ),
  ];
  const probes = [
    line(
      'gradient-noise',
      'Gradient noise: E||g_batch - g||² / ||g||² on a probe set at each checkpoint. Smaller batches, noisier gradients; full batch is 0 and not drawn.',
      checkpointRows(ok),
      {
        title: 'Gradient noise vs epoch',
        x: { field: 'epoch', title: 'Epoch (0 = initial weights)', integer: true },
        y: { field: 'noise', title: 'Relative gradient variance', scale: 'log' },
      },
      'noise 0 or none measured: a log scale cannot show 0',
    ),
  ];
  const draw = (ds: (Draft & { empty?: string })[]): ReportChart[] =>
    ds
      .filter((d) => d.data.length > 0)
      .map((d) => {
        const note = missingNote(results, d.data, label, d.empty);
        return { name: d.name, caption: d.caption, note, spec: d.make(note) };
      });
  return [
    ...draw(drafts),
    ...bars(results, summary, label, series),
    ...byBackend(results, summary, backends),
    ...draw(probes),
    ...layerCharts(results, label),
  ];
}

/** Seconds per epoch by backend, when the experiment ran on more than one. */
function byBackend(results: RunResult[], summary: SummaryRow[], backends: BackendProbe[] | null): ReportChart[] {
  const chart = backendTimeChart(results, summary, backends, bnFacetOf(results));
  if (!chart) return [];
  const caption =
    'Seconds per epoch of each configuration on each backend (after the first epoch; the first when there is only one), mean ± standard deviation over seeds: the same cells from the same initial weights and batches, so only the time differs.';
  return [{ name: 'epoch-seconds-by-backend', caption, ...chart }];
}

/** Final test accuracy (test loss for regression) and seconds per epoch, a bar per configuration. */
function bars(
  results: RunResult[],
  summary: SummaryRow[],
  label: (r: RunResult) => string,
  series: GroupField,
): ReportChart[] {
  const context = { results, summary, label, series, bnFacet: bnFacetOf(results) };
  const regression = summary.every((row) => row.testAccuracy === null) && summary.some((row) => row.testLoss !== null);
  const specs = [
    regression
      ? {
          name: 'final-test-loss',
          caption: 'Final test loss, mean ± standard deviation over seeds.',
          spec: summaryBars(context, (row) => row.testLoss, 'Final test loss', 'Test loss'),
        }
      : {
          name: 'final-accuracy',
          caption: 'Final test accuracy, mean ± standard deviation over seeds.',
          spec: summaryBars(context, (row) => row.testAccuracy, 'Final test accuracy', 'Test accuracy'),
        },
    {
      name: 'seconds-per-epoch',
      caption: 'Seconds per epoch after the first (warm-up excluded; the first epoch when there is only one).',
      spec: summaryBars(
        context,
        (row) => row.steadyEpochSeconds ?? row.firstEpochSeconds,
        'Seconds per epoch',
        'Seconds',
      ),
    },
  ];
  return specs.flatMap(({ name, caption, spec }) => (spec ? [{ name, caption, ...spec }] : []));
}

/**
 * Layer statistics for one representative series (the first mini-batch strategy, else the first),
 * from its finished runs; the note names its runs that failed or stopped.
 */
function layerCharts(results: RunResult[], label: (r: RunResult) => string): ReportChart[] {
  const ok = results.filter((r) => r.status === 'ok');
  if (ok.length === 0) return [];
  const chosen = label(ok.find((r) => r.cell.strategy.startsWith('mini')) ?? ok[0]);
  const { activations, gradients } = layerRows(ok, chosen);
  const layer = { field: 'series', title: 'Layer' };
  const x = { field: 'epoch', title: 'Epoch (0 = initial weights)', integer: true };
  const chart = (name: string, caption: string, rows: Row[], y: AxisField, title: string): ReportChart[] => {
    const data = having(rows, y.field);
    if (data.length === 0) return [];
    const note = missingNote(
      results.filter((r) => label(r) === chosen),
      data.map((row) => ({ ...row, series: chosen })),
      label,
    );
    const facet = bnFacetOf(results);
    return [{ name, caption, note, spec: lineChart({ title, x, y, color: layer, facet, note, data }) }];
  };
  return [
    ...chart(
      'activation-std',
      `Standard deviation of each hidden layer's output at the checkpoints (${chosen}): with BN the scale stays put while the weights change.`,
      activations,
      { field: 'std', title: 'Output std' },
      `Hidden-layer output std (${chosen})`,
    ),
    ...chart(
      'activation-mean',
      `Mean of each hidden layer's output at the checkpoints (${chosen}).`,
      activations,
      { field: 'mean', title: 'Output mean' },
      `Hidden-layer output mean (${chosen})`,
    ),
    ...chart(
      'gradient-norms',
      `Norm of each layer's kernel gradient on the probe set (${chosen}): vanishing or exploding gradients show as lines far apart.`,
      gradients,
      { field: 'norm', title: 'Gradient norm', scale: 'log' },
      `Kernel gradient norm per layer (${chosen})`,
    ),
  ];
}

export interface ReportFiles {
  html: string;
  plots: string[];
}

/** What a caller adds to an experiment's report. */
export interface ReportExtras {
  /** A table shown first (e.g. claims and their verdicts). Default: none. */
  lead?: LeadTable;
  /** Charts of the caller's own, drawn before the experiment's. Default: none. */
  charts?: ReportChart[];
  /** The backends the experiment probed (backends.json), stated in the report. Default: none. */
  backends?: BackendProbe[] | null;
}

/** Renders every chart to plots/<name>.svg and .png and writes report.html, all atomically. */
export async function writeReport(
  outDir: string,
  title: string,
  results: RunResult[],
  summary: SummaryRow[],
  specJson: unknown,
  extras: ReportExtras = {},
): Promise<ReportFiles> {
  const rendered: RenderedChart[] = [];
  const plots: string[] = [];
  const backends = extras.backends ?? null;
  for (const chart of [...(extras.charts ?? []), ...reportCharts(results, summary, backends)]) {
    const svg = await renderSvg(chart.spec);
    const title = typeof chart.spec.title === 'string' ? chart.spec.title : chart.name;
    rendered.push({ name: chart.name, title, caption: chart.caption, svg });
    const base = join(outDir, 'plots', chart.name);
    await writeFileAtomic(`${base}.svg`, svg);
    await writeFileAtomic(`${base}.png`, svgToPng(svg, { width: 1200 }));
    plots.push(`${base}.svg`, `${base}.png`);
  }
  const html = join(outDir, 'report.html');
  await writeFileAtomic(
    html,
    reportHtml({ title, lead: extras.lead, charts: rendered, summary, results, spec: specJson, backends }),
  );
  return { html, plots };
}
