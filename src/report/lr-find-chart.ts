/**
 * The plot of a learning-rate range test: each update's loss and the smoothed loss against the
 * rate (log scale), the suggested rate marked, the rule and the stopping reason written under it;
 * and the files it goes to (SVG and PNG, written atomically).
 */
import { writeFileAtomic } from '../io/atomic-write';
import type { LrFindResult } from '../training';
import { renderSvg, svgToPng } from './chart-render';
import { ChartSpec, lineChart } from './charts';

const SUGGESTED = 'suggested rate';

export function lrFindChart(result: LrFindResult, title = 'Learning-rate range test'): ChartSpec {
  const rows = result.points.flatMap((p) => [
    { learningRate: p.learningRate, loss: p.loss, series: 'loss' },
    { learningRate: p.learningRate, loss: p.smoothedLoss, series: 'smoothed loss' },
  ]);
  const data = rows.filter((r) => Number.isFinite(r.loss));
  const { suggestion } = result;
  if (suggestion)
    data.push({
      learningRate: suggestion.learningRate,
      loss: smoothedAt(result, suggestion.learningRate),
      series: SUGGESTED,
    });
  const positive = data.every((r) => r.loss > 0);
  return lineChart({
    title,
    x: { field: 'learningRate', title: 'Learning rate', scale: 'log' },
    y: { field: 'loss', title: "Loss of the update's batch", scale: positive ? 'log' : 'linear' },
    color: { field: 'series', title: '', sort: ['loss', 'smoothed loss', SUGGESTED] },
    note: [
      ...(suggestion ? [`suggested rate ${suggestion.learningRate.toPrecision(3)}: ${suggestion.rule}`] : []),
      result.stopReason ? `stopped: ${result.stopReason}` : `ran all ${result.updates} updates without diverging`,
    ],
    data,
  });
}

/** The smoothed loss at the last point whose rate is at most `rate` (the suggested rate's place on the curve). */
function smoothedAt(result: LrFindResult, rate: number): number {
  const before = result.points.filter((p) => p.learningRate <= rate && Number.isFinite(p.smoothedLoss));
  return (before[before.length - 1] ?? result.points[0]).smoothedLoss;
}

/** Writes `<base>.svg` and `<base>.png`; returns their paths. */
export async function writeLrFindChart(base: string, result: LrFindResult, title?: string): Promise<string[]> {
  const svg = await renderSvg(lrFindChart(result, title));
  await writeFileAtomic(`${base}.svg`, svg);
  await writeFileAtomic(`${base}.png`, svgToPng(svg, { width: 1200 }));
  return [`${base}.svg`, `${base}.png`];
}
