/**
 * The experiment report: every chart as SVG and PNG under plots/, and one self-contained
 * report.html (charts inlined as SVG, the summary table, the spec). Chooses what to plot; the
 * drawing is charts.ts's, the numbers report-data.ts's.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import type { RunResult } from '../experiment/result';
import type { SummaryRow } from './summary';
import { ChartSpec, barChart, lineChart, renderSvg, svgToPng } from './charts';
import { checkpointRows, epochRows, layerRows, seriesLabeller, updateRows } from './report-data';
import { RenderedChart, reportHtml } from './report-html';

const bnFacet = { field: 'bn', title: 'BatchNorm', sort: ['BN off', 'BN on'] };

/** The chart specs for these results (charts without data are left out). */
export function reportCharts(
  results: RunResult[],
  summary: SummaryRow[],
): { name: string; caption: string; spec: ChartSpec }[] {
  const ok = results.filter((r) => r.status === 'ok');
  const label = seriesLabeller(results);
  // Legends in the order the experiment lists its cells (full, sgd, mini:32, ...), not alphabetically.
  const series = { field: 'series', title: 'Strategy', sort: [...new Set(results.map(label))] };
  const epochs = epochRows(ok);
  // A summary row is one configuration; its bar is labelled like that configuration's curves.
  const groupLabels = new Map(results.map((r) => [r.cell.group, label(r)]));
  const charts: { name: string; caption: string; spec: ChartSpec | null }[] = [
    {
      name: 'loss-vs-epoch',
      caption: 'Training loss per epoch (mean over seeds).',
      spec: lineChart({
        title: 'Training loss vs epoch',
        x: { field: 'epoch', title: 'Epoch', integer: true },
        y: { field: 'trainLoss', title: 'Training loss', scale: 'log' },
        color: series,
        facet: bnFacet,
        data: epochs,
      }),
    },
    {
      name: 'accuracy-vs-epoch',
      caption: 'Test accuracy after each epoch.',
      spec: epochs.some((r) => 'testAccuracy' in r)
        ? lineChart({
            title: 'Test accuracy vs epoch',
            x: { field: 'epoch', title: 'Epoch', integer: true },
            y: { field: 'testAccuracy', title: 'Test accuracy' },
            color: series,
            facet: bnFacet,
            data: epochs.filter((r) => 'testAccuracy' in r),
          })
        : null,
    },
    {
      name: 'loss-vs-updates',
      caption:
        'Training loss of the batches of single updates (sampled, averaged over log-spaced ranges of updates), against the number of weight updates: SGD makes many cheap noisy steps, full batch few exact ones.',
      spec: lineChart({
        title: 'Training loss vs weight updates',
        x: { field: 'update', title: 'Weight updates', scale: 'log' },
        y: { field: 'loss', title: "Loss of the update's batch", scale: 'log' },
        color: series,
        facet: bnFacet,
        data: updateRows(ok),
      }),
    },
    {
      name: 'loss-vs-seconds',
      caption: 'Training loss at the end of each epoch against wall-clock training time.',
      spec: lineChart({
        title: 'Training loss vs seconds',
        x: { field: 'seconds', title: 'Training seconds' },
        y: { field: 'trainLoss', title: 'Training loss', scale: 'log' },
        color: series,
        facet: bnFacet,
        data: epochs,
      }),
    },
    {
      name: 'final-accuracy',
      caption: 'Final test accuracy, mean ± standard deviation over seeds.',
      spec: barFromSummary(summary, groupLabels, series.sort, 'testAccuracy', 'Final test accuracy', 'Test accuracy'),
    },
    {
      name: 'seconds-per-epoch',
      caption: 'Seconds per epoch after the first (warm-up excluded; the first epoch when there is only one).',
      spec: barFromSummary(summary, groupLabels, series.sort, 'epochSeconds', 'Seconds per epoch', 'Seconds'),
    },
    {
      name: 'gradient-noise',
      caption:
        'Gradient noise: E||g_batch - g||² / ||g||² on a probe set at each checkpoint. Smaller batches, noisier gradients; full batch is 0 and not drawn.',
      spec: nonEmpty(checkpointRows(ok), (data) =>
        lineChart({
          title: 'Gradient noise vs epoch',
          x: { field: 'epoch', title: 'Epoch (0 = initial weights)', integer: true },
          y: { field: 'noise', title: 'Relative gradient variance', scale: 'log' },
          color: series,
          facet: bnFacet,
          data,
        }),
      ),
    },
    ...layerCharts(ok),
  ];
  return charts.filter((c): c is { name: string; caption: string; spec: ChartSpec } => c.spec !== null);
}

function nonEmpty(
  data: Record<string, unknown>[],
  make: (data: Record<string, unknown>[]) => ChartSpec,
): ChartSpec | null {
  return data.length > 0 ? make(data) : null;
}

function barFromSummary(
  summary: SummaryRow[],
  labels: Map<string, string>,
  order: string[],
  what: 'testAccuracy' | 'epochSeconds',
  title: string,
  yTitle: string,
): ChartSpec | null {
  const data = summary.flatMap((row) => {
    const s = what === 'testAccuracy' ? row.testAccuracy : (row.steadyEpochSeconds ?? row.firstEpochSeconds);
    return s
      ? [{ series: labels.get(row.group) ?? row.strategy, bn: row.bn ? 'BN on' : 'BN off', value: s.mean, std: s.std }]
      : [];
  });
  return nonEmpty(data, (d) =>
    barChart({
      title,
      x: { field: 'series', title: 'Strategy', sort: order },
      y: { field: 'value', title: yTitle },
      color: bnFacet,
      errorField: 'std',
      data: d,
    }),
  );
}

/** Layer statistics for one representative series (the first mini-batch strategy, else the first). */
function layerCharts(ok: RunResult[]): { name: string; caption: string; spec: ChartSpec | null }[] {
  if (ok.length === 0) return [];
  const label = seriesLabeller(ok);
  const chosen = label(ok.find((r) => r.cell.strategy.startsWith('mini')) ?? ok[0]);
  const { activations, gradients } = layerRows(ok, chosen);
  const layer = { field: 'series', title: 'Layer' };
  return [
    {
      name: 'activation-std',
      caption: `Standard deviation of each hidden layer's output at the checkpoints (${chosen}): with BN the scale stays put while the weights change.`,
      spec: nonEmpty(activations, (data) =>
        lineChart({
          title: `Hidden-layer output std (${chosen})`,
          x: { field: 'epoch', title: 'Epoch (0 = initial weights)', integer: true },
          y: { field: 'std', title: 'Output std' },
          color: layer,
          facet: bnFacet,
          data,
        }),
      ),
    },
    {
      name: 'activation-mean',
      caption: `Mean of each hidden layer's output at the checkpoints (${chosen}).`,
      spec: nonEmpty(activations, (data) =>
        lineChart({
          title: `Hidden-layer output mean (${chosen})`,
          x: { field: 'epoch', title: 'Epoch (0 = initial weights)', integer: true },
          y: { field: 'mean', title: 'Output mean' },
          color: layer,
          facet: bnFacet,
          data,
        }),
      ),
    },
    {
      name: 'gradient-norms',
      caption: `Norm of each layer's kernel gradient on the probe set (${chosen}): vanishing or exploding gradients show as lines far apart.`,
      spec: nonEmpty(gradients, (data) =>
        lineChart({
          title: `Kernel gradient norm per layer (${chosen})`,
          x: { field: 'epoch', title: 'Epoch (0 = initial weights)', integer: true },
          y: { field: 'norm', title: 'Gradient norm', scale: 'log' },
          color: layer,
          facet: bnFacet,
          data,
        }),
      ),
    },
  ];
}

export interface ReportFiles {
  html: string;
  plots: string[];
}

/** Renders every chart to plots/<name>.svg and .png and writes report.html, all atomically. */
export async function writeReport(
  outDir: string,
  title: string,
  results: RunResult[],
  summary: SummaryRow[],
  specJson: unknown,
): Promise<ReportFiles> {
  const rendered: RenderedChart[] = [];
  const plots: string[] = [];
  for (const chart of reportCharts(results, summary)) {
    const svg = await renderSvg(chart.spec);
    const title = typeof chart.spec.title === 'string' ? chart.spec.title : chart.name;
    rendered.push({ name: chart.name, title, caption: chart.caption, svg });
    const base = join(outDir, 'plots', chart.name);
    await writeFileAtomic(`${base}.svg`, svg);
    await writeFileAtomic(`${base}.png`, svgToPng(svg, { width: 1200 }));
    plots.push(`${base}.svg`, `${base}.png`);
  }
  const html = join(outDir, 'report.html');
  await writeFileAtomic(html, reportHtml({ title, charts: rendered, summary, results, spec: specJson }));
  return { html, plots };
}
