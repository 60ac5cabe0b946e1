/**
 * Turns run results into the flat rows the charts plot: per-epoch, per-update and per-checkpoint
 * series averaged over seeds, labelled by strategy (plus whatever else varies) and BN (off, on, or its variant).
 */
import type { RunResult } from '../experiment/result';
import { bnFacetLabel } from './bn-labels';

export type Row = Record<string, string | number>;

/**
 * Series label: the strategy, plus model / optimizer / learning rate (the one trained with) /
 * schedule / backend when those vary too; `backend: false` leaves the backend out, for a chart
 * that shows it otherwise.
 */
export function seriesLabeller(results: RunResult[], { backend = true } = {}): (r: RunResult) => string {
  const parts = seriesParts(results, backend).map(([, part]) => part);
  return (r) => parts.map((p) => p(r)).join(' ');
}

/** What a series label is made of, e.g. 'Strategy, optimizer, learning rate', for legend titles. */
export function seriesTitle(results: RunResult[], { backend = true } = {}): string {
  const names = seriesParts(results, backend).map(([name]) => name);
  return [names[0][0].toUpperCase() + names[0].slice(1), ...names.slice(1)].join(', ');
}

function seriesParts(results: RunResult[], backend: boolean): [string, (r: RunResult) => string][] {
  const varies = (f: (r: RunResult) => unknown): boolean => new Set(results.map(f)).size > 1;
  const parts: [string, (r: RunResult) => string][] = [];
  if (varies((r) => r.cell.model)) parts.push(['model', (r) => r.cell.model]);
  parts.push(['strategy', (r) => r.cell.strategy]);
  if (varies((r) => r.cell.optimizer)) parts.push(['optimizer', (r) => r.cell.optimizer]);
  if (varies((r) => r.cell.learningRate))
    parts.push(['learning rate', (r) => `lr ${Number(r.cell.learningRate.toPrecision(4))}`]);
  if (varies((r) => r.cell.lrSchedule ?? null)) parts.push(['schedule', (r) => r.cell.lrSchedule ?? 'no schedule']);
  if (backend && varies((r) => r.cell.backend ?? null)) parts.push(['backend', (r) => r.cell.backend ?? '-']);
  return parts;
}

/** Tableau 20, the ten strong colours first: the colour of the k-th series in every chart. */
export const SERIES_PALETTE: readonly string[] = [
  '#4c78a8',
  '#f58518',
  '#54a24b',
  '#e45756',
  '#72b7b2',
  '#b279a2',
  '#eeca3b',
  '#9d755d',
  '#ff9da6',
  '#79706e',
  '#9ecae9',
  '#ffbf79',
  '#88d27a',
  '#ff9d98',
  '#83bcb6',
  '#d6a5c9',
  '#fadd75',
  '#d8b5a5',
  '#fcbfd2',
  '#bab0ac',
];

/** Each series' colour, fixed for the whole report by the order of the experiment's cells. */
export function seriesColors(order: string[]): { domain: string[]; range: string[] } {
  return { domain: order, range: order.map((_, i) => SERIES_PALETTE[i % SERIES_PALETTE.length]) };
}

/** The BatchNorm facet of a run: 'BN off', 'BN on', 'ghost BN 16', 'batch renorm' (see bn-labels.ts). */
export const bnLabel = (r: RunResult): string => bnFacetLabel(r.cell);

/** Averages `y` fields of rows sharing (series, bn, x) over seeds. */
function meanOverSeeds(rows: Row[], x: string, ys: string[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.series}|${row.bn}|${row[x]}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) => {
    const out: Row = { series: group[0].series, bn: group[0].bn, [x]: group[0][x] };
    for (const y of ys) {
      const values = group.map((r) => r[y]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (values.length > 0) out[y] = values.reduce((a, b) => a + b, 0) / values.length;
    }
    return out;
  });
}

export function epochRows(results: RunResult[]): Row[] {
  const label = seriesLabeller(results);
  const rows: Row[] = [];
  for (const r of results) {
    let seconds = 0;
    let updates = 0;
    for (const e of r.history?.epochs ?? []) {
      seconds += e.seconds;
      updates += e.updates;
      const row: Row = {
        series: label(r),
        bn: bnLabel(r),
        epoch: e.epoch + 1,
        trainLoss: e.loss,
        seconds,
        updates,
        epochSeconds: e.seconds,
      };
      if (e.testLoss !== null) row.testLoss = e.testLoss;
      if (e.testAccuracy !== null) row.testAccuracy = e.testAccuracy;
      rows.push(row);
    }
  }
  return meanOverSeeds(rows, 'epoch', ['trainLoss', 'testLoss', 'testAccuracy', 'seconds', 'updates', 'epochSeconds']);
}

/** Log-spaced bins per decade for per-update losses: enough to see trends, few enough to read. */
const BINS_PER_DECADE = 12;

/**
 * Per-update losses averaged over seeds and then over log-spaced bins of the update count, so that
 * one curve per strategy shows the trend through SGD's single-sample noise.
 */
export function updateRows(results: RunResult[]): Row[] {
  const label = seriesLabeller(results);
  const rows = results.flatMap((r) =>
    (r.history?.updates ?? []).map((u) => ({ series: label(r), bn: bnLabel(r), update: u.update + 1, loss: u.loss })),
  );
  const binned = rows.map((row) => ({ ...row, bin: Math.floor(Math.log10(row.update) * BINS_PER_DECADE) }));
  return meanOverSeeds(binned, 'bin', ['update', 'loss'])
    .filter((row) => typeof row.loss === 'number' && row.loss > 0)
    .map(({ bin: _bin, ...row }) => row);
}

/** The learning rate of each sampled update (the same for every seed), for runs with a schedule. */
export function rateRows(results: RunResult[]): Row[] {
  const label = seriesLabeller(results);
  const rows = results.flatMap((r) =>
    (r.history?.updates ?? []).flatMap((u) =>
      u.learningRate === undefined
        ? []
        : [{ series: label(r), bn: bnLabel(r), update: u.update + 1, learningRate: u.learningRate }],
    ),
  );
  return meanOverSeeds(rows, 'update', ['learningRate']);
}

/** The gradient's norm before clipping, averaged over seeds and log-spaced bins of updates as losses are. */
export function gradNormRows(results: RunResult[]): Row[] {
  const label = seriesLabeller(results);
  const rows = results.flatMap((r) =>
    (r.history?.updates ?? []).flatMap((u) =>
      u.gradNorm === undefined
        ? []
        : [
            {
              series: label(r),
              bn: bnLabel(r),
              update: u.update + 1,
              gradNorm: u.gradNorm,
              bin: Math.floor(Math.log10(u.update + 1) * BINS_PER_DECADE),
            },
          ],
    ),
  );
  return meanOverSeeds(rows, 'bin', ['update', 'gradNorm'])
    .filter((row) => typeof row.gradNorm === 'number' && row.gradNorm > 0)
    .map(({ bin: _bin, ...row }) => row);
}

export function checkpointRows(results: RunResult[]): Row[] {
  const label = seriesLabeller(results);
  const rows = results.flatMap((r) =>
    (r.checkpoints ?? []).map((c) => ({
      series: label(r),
      bn: bnLabel(r),
      epoch: c.epoch,
      batchSize: c.gradientNoise.batchSize,
      noise: c.gradientNoise.relativeVariance,
    })),
  );
  return meanOverSeeds(rows, 'epoch', ['noise', 'batchSize']).filter(
    (row) => typeof row.noise === 'number' && row.noise > 0,
  );
}

/** Activation mean/std and kernel-gradient norm per layer at each checkpoint, for the runs of one series. */
export function layerRows(results: RunResult[], series: string): { activations: Row[]; gradients: Row[] } {
  const label = seriesLabeller(results);
  const activations: Row[] = [];
  const gradients: Row[] = [];
  for (const r of results.filter((x) => label(x) === series)) {
    for (const c of r.checkpoints ?? []) {
      for (const a of c.activations)
        activations.push({ series: a.layer, bn: bnLabel(r), epoch: c.epoch, mean: a.mean, std: a.std });
      for (const g of c.gradientNorms)
        gradients.push({ series: g.layer, bn: bnLabel(r), epoch: c.epoch, norm: g.norm });
    }
  }
  return {
    activations: meanOverSeeds(activations, 'epoch', ['mean', 'std']),
    gradients: meanOverSeeds(gradients, 'epoch', ['norm']),
  };
}
