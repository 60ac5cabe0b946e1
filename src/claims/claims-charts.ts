/**
 * The charts the memory and noise claims point to, drawn from the same evidence their rules read:
 * update peak memory against batch size, and gradient noise at the initial weights against batch
 * size beside the closed form's 1/B curve. The BN claim points to the report's own layer charts,
 * the throughput claims to the sweep's plot. Drawing is report/'s; this module chooses the rows.
 */
import { lineChart } from '../report/charts';
import type { ReportChart } from '../report/report';
import type { MemoryPoint } from './memory-claim';
import { NoiseEvidence, noiseConstant } from './noise-claim';
import { median } from './verdict';

export const MEMORY_CHART = 'memory-vs-batch';
export const NOISE_CHART = 'noise-vs-batch';

const batchAxis = { field: 'batchSize', title: 'Batch size (log scale)', scale: 'log' as const };

export function memoryChart(points: MemoryPoint[]): ReportChart | null {
  if (points.length === 0) return null;
  const data = points.map((p) => ({ batchSize: p.batchSize, mb: p.updatePeakBytes / 2 ** 20, series: 'update peak' }));
  const note = [`Runs without BN, first seed: ${points.map((p) => `${p.label} = ${p.batchSize}`).join(', ')}.`];
  const spec = lineChart({
    title: 'Update peak memory vs batch size',
    x: batchAxis,
    y: { field: 'mb', title: 'Update peak (MiB, log scale)', scale: 'log' },
    color: { field: 'series', title: 'Measure', legend: false },
    note,
    data,
  });
  const caption =
    'Tensor memory one update adds above data, weights and optimizer state, against the batch size: a fixed part plus a share per sample.';
  return { name: MEMORY_CHART, caption, spec, note };
}

/**
 * Measured noise per batch size and the closed form (N - B)/(N - 1) · c/B through the median of the
 * measured c = B · noise · (N - 1)/(N - B): the line the points fall on if noise goes as 1/B.
 */
export function noiseRows({ trainSize, points }: NoiseEvidence): {
  c: number;
  rows: { batchSize: number; noise: number; series: string }[];
} {
  const c = median(points.map((p) => noiseConstant(p, trainSize)));
  const closedForm = points.map((p) => ({
    batchSize: p.batchSize,
    noise: (c * (trainSize - p.batchSize)) / ((trainSize - 1) * p.batchSize),
    series: CLOSED_FORM,
  }));
  const measured = points.map((p) => ({ batchSize: p.batchSize, noise: p.noise, series: 'measured' }));
  return { c, rows: [...measured, ...closedForm] };
}

const CLOSED_FORM = '(N-B)/(N-1) · c/B';

export function noiseChart(evidence: NoiseEvidence): ReportChart | null {
  if (evidence.points.length === 0) return null;
  const { c, rows } = noiseRows(evidence);
  const note = [
    `Initial weights, runs without BN, first seed, N = ${evidence.trainSize}; c = ${c.toPrecision(3)} (median over batch sizes). Full batch: 0, not drawn.`,
  ];
  const spec = lineChart({
    title: 'Gradient noise vs batch size (initial weights)',
    x: batchAxis,
    y: { field: 'noise', title: 'E||g_B - g||² / ||g||² (log scale)', scale: 'log' },
    color: { field: 'series', title: 'Series', sort: ['measured', CLOSED_FORM] },
    note,
    data: rows,
  });
  const caption =
    'Gradient noise of one batch against the whole-set gradient, at the weights every run starts from: batch 1 (SGD) noisiest, falling as 1/B.';
  return { name: NOISE_CHART, caption, spec, note };
}
