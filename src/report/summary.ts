/**
 * Aggregates finished runs per configuration (cells that differ only in seed): mean and standard
 * deviation over seeds of the numbers a comparison is about, as rows for summary.csv and the
 * terminal table.
 */
import type { RunResult } from '../experiment/result';
import { firstSentence, outcomeOf, stopReasonOf } from './run-status';

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

export interface SummaryRow {
  group: string;
  model: string;
  strategy: string;
  bn: boolean;
  optimizer: string;
  learningRate: number;
  runs: number;
  failed: number;
  /** Runs that trained until their loss was no longer finite (their numbers are those of that model). */
  nanStopped: number;
  testAccuracy: Stat | null;
  testLoss: Stat | null;
  trainLoss: Stat | null;
  updatesPerEpoch: number | null;
  firstEpochSeconds: Stat | null;
  steadyEpochSeconds: Stat | null;
  samplesPerSecond: Stat | null;
  gradientNoise: Stat | null;
  peakMB: Stat | null;
  /** Epochs, updates and seconds to the target accuracy over the runs that reached it, and how many did. */
  targetEpochs: Stat | null;
  targetUpdates: Stat | null;
  targetSeconds: Stat | null;
  targetReached: string | null;
  error: string | null;
  /** The first NaN-stopped run's stop message. */
  stopReason: string | null;
}

/** Mean and sample standard deviation (n - 1; 0 for one value); null for no values. */
export function stat(values: number[]): Stat | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  const variance = finite.length > 1 ? finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (finite.length - 1) : 0;
  return { mean, std: Math.sqrt(variance), n: finite.length };
}

export function summarize(results: RunResult[]): SummaryRow[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) groups.set(r.cell.group, [...(groups.get(r.cell.group) ?? []), r]);
  return [...groups.values()].map((runs) => summarizeGroup(runs));
}

function summarizeGroup(runs: RunResult[]): SummaryRow {
  const { cell } = runs[0];
  const ok = runs.filter((r) => r.status === 'ok');
  const pick = (f: (r: RunResult) => number | null | undefined): Stat | null =>
    stat(ok.map(f).filter((v): v is number => typeof v === 'number'));
  const lastEpoch = (r: RunResult) => r.history?.epochs[r.history.epochs.length - 1];
  const targets = ok.filter((r) => r.target);
  return {
    group: cell.group,
    model: cell.model,
    strategy: cell.strategy,
    bn: cell.bn,
    optimizer: cell.optimizer,
    learningRate: cell.learningRate,
    runs: runs.length,
    failed: runs.length - ok.length,
    nanStopped: runs.filter((r) => outcomeOf(r) === 'nan').length,
    testAccuracy: pick((r) => r.test?.accuracy),
    testLoss: pick((r) => r.test?.loss),
    trainLoss: pick((r) => lastEpoch(r)?.loss),
    updatesPerEpoch: ok[0]?.timing?.updatesPerEpoch ?? null,
    firstEpochSeconds: pick((r) => r.timing?.firstEpochSeconds),
    steadyEpochSeconds: pick((r) => r.timing?.steadyEpochSeconds),
    samplesPerSecond: pick((r) => r.timing?.samplesPerSecond),
    gradientNoise: pick((r) => r.checkpoints?.[r.checkpoints.length - 1]?.gradientNoise.relativeVariance),
    peakMB: pick((r) => (r.memory ? r.memory.peakBytes / 2 ** 20 : null)),
    targetEpochs: pick((r) => r.target?.epoch),
    targetUpdates: pick((r) => r.target?.updates),
    targetSeconds: pick((r) => r.target?.seconds),
    targetReached: targets.length > 0 ? `${targets.filter((r) => r.target?.reached).length}/${targets.length}` : null,
    error: runs.find((r) => r.status === 'failed')?.error ?? null,
    stopReason: runs.map((r) => (outcomeOf(r) === 'nan' ? stopReasonOf(r)?.message : undefined)).find(Boolean) ?? null,
  };
}

/** What a CSV cell may hold; objects have no CSV form and are left out by type. */
type CsvValue = string | number | boolean | null | undefined;

const CSV_COLUMNS: [string, (r: SummaryRow) => CsvValue][] = [
  ['model', (r) => r.model],
  ['strategy', (r) => r.strategy],
  ['bn', (r) => r.bn],
  ['optimizer', (r) => r.optimizer],
  ['learning_rate', (r) => r.learningRate],
  ['runs', (r) => r.runs],
  ['failed', (r) => r.failed],
  ['nan_stopped', (r) => r.nanStopped],
  ...statColumns('test_accuracy', (r) => r.testAccuracy),
  ...statColumns('test_loss', (r) => r.testLoss),
  ...statColumns('train_loss', (r) => r.trainLoss),
  ['updates_per_epoch', (r) => r.updatesPerEpoch],
  ...statColumns('first_epoch_seconds', (r) => r.firstEpochSeconds),
  ...statColumns('epoch_seconds', (r) => r.steadyEpochSeconds),
  ...statColumns('samples_per_second', (r) => r.samplesPerSecond),
  ...statColumns('gradient_noise', (r) => r.gradientNoise),
  ...statColumns('peak_mb', (r) => r.peakMB),
  ...statColumns('target_epochs', (r) => r.targetEpochs),
  ...statColumns('target_updates', (r) => r.targetUpdates),
  ...statColumns('target_seconds', (r) => r.targetSeconds),
  ['target_reached', (r) => r.targetReached],
  ['error', (r) => r.error],
  ['stop_reason', (r) => r.stopReason],
];

function statColumns(name: string, get: (r: SummaryRow) => Stat | null): [string, (r: SummaryRow) => CsvValue][] {
  return [
    [`${name}_mean`, (r) => get(r)?.mean],
    [`${name}_std`, (r) => get(r)?.std],
  ];
}

/** RFC 4180 CSV: a header and one row per configuration; empty cells for missing values. */
export function summaryCsv(rows: SummaryRow[]): string {
  const cell = (v: CsvValue): string => {
    if (v === null || v === undefined) return '';
    const text = String(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return (
    [
      CSV_COLUMNS.map(([name]) => name).join(','),
      ...rows.map((r) => CSV_COLUMNS.map(([, get]) => cell(get(r))).join(',')),
    ].join('\n') + '\n'
  );
}

type Pm = (s: Stat | null, digits: number, scale?: number) => string;

/** Epochs, updates and seconds to the target: whole numbers while every seed agrees. */
function targetCells(r: SummaryRow, pm: Pm): string[] {
  if (r.targetReached === null) return ['-', '-', '-', '-'];
  const count = (s: Stat | null): string => (s !== null && s.std === 0 ? String(s.mean) : pm(s, 1));
  const reached = r.targetReached.startsWith('0/') ? 'not reached' : r.targetReached;
  return [reached, count(r.targetEpochs), count(r.targetUpdates), pm(r.targetSeconds, 1)];
}

/** Failed and NaN-stopped runs of a row, or 'ok'. */
function statusCell(r: SummaryRow): string {
  const part = (n: number, what: string): string[] => (n === 0 ? [] : [n === r.runs ? what : `${n}/${r.runs} ${what}`]);
  const parts = [...part(r.failed, 'failed'), ...part(r.nanStopped, 'NaN-stopped')];
  return parts.length > 0 ? parts.join(', ') : 'ok';
}

/** A learning rate in at most four significant digits (0.00025, not 0.00025000000000000006). */
const learningRateCell = (lr: number): string => String(Number(lr.toPrecision(4)));

const LEFT_ALIGNED = new Set(['model', 'strategy', 'BN', 'optimizer', 'lr', 'status']);

/**
 * A fixed-width terminal table of the main numbers, mean ± std over seeds. Factors beyond model,
 * strategy and BN get a column when they vary; the learning rate is the one trained with.
 */
export function summaryTable(rows: SummaryRow[]): string {
  const pm: Pm = (s, digits, scale = 1) =>
    s === null
      ? '-'
      : s.n > 1
        ? `${(s.mean * scale).toFixed(digits)} ± ${(s.std * scale).toFixed(digits)}`
        : (s.mean * scale).toFixed(digits);
  const varies = (f: (r: SummaryRow) => unknown): boolean => new Set(rows.map(f)).size > 1;
  const showOptimizer = varies((r) => r.optimizer);
  const showLr = varies((r) => r.learningRate);
  // Regression has no accuracy: its test loss takes the accuracy's place.
  const showTestLoss = rows.some((r) => r.testAccuracy === null && r.testLoss !== null);
  const showAccuracy = rows.some((r) => r.testAccuracy !== null) || !showTestLoss;
  const showTarget = rows.some((r) => r.targetReached !== null);
  const showStatus = rows.some((r) => r.failed + r.nanStopped > 0);
  const header = [
    'model',
    'strategy',
    'BN',
    ...(showOptimizer ? ['optimizer'] : []),
    ...(showLr ? ['lr'] : []),
    'runs',
    ...(showAccuracy ? ['test acc %'] : []),
    ...(showTestLoss ? ['test loss'] : []),
    'train loss',
    'updates/ep',
    's/epoch',
    'samples/s',
    'grad noise',
    ...(showTarget ? ['target', 'epochs to target', 'updates to target', 's to target'] : []),
    ...(showStatus ? ['status'] : []),
  ];
  const body = rows.map((r) => [
    r.model,
    r.strategy,
    r.bn ? 'on' : 'off',
    ...(showOptimizer ? [r.optimizer] : []),
    ...(showLr ? [learningRateCell(r.learningRate)] : []),
    r.failed > 0 ? `${r.runs - r.failed}/${r.runs}` : String(r.runs),
    ...(showAccuracy ? [pm(r.testAccuracy, 2, 100)] : []),
    ...(showTestLoss ? [pm(r.testLoss, 4)] : []),
    pm(r.trainLoss, 4),
    r.updatesPerEpoch === null ? '-' : String(r.updatesPerEpoch),
    pm(r.steadyEpochSeconds ?? r.firstEpochSeconds, 2),
    pm(r.samplesPerSecond, 0),
    pm(r.gradientNoise, 3),
    ...(showTarget ? targetCells(r, pm) : []),
    ...(showStatus ? [statusCell(r)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (LEFT_ALIGNED.has(header[i]) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  // The first sentence of each error; the whole text is in results.jsonl and report.html.
  const failures = rows.filter((r) => r.error).map((r) => `  ${r.group}: ${firstSentence(r.error ?? '')}`);
  const stopped = rows.filter((r) => r.stopReason).map((r) => `  ${r.group}: ${r.stopReason}`);
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    ...(failures.length ? ['failed runs:', ...failures] : []),
    ...(stopped.length ? ['NaN-stopped runs (their numbers are those of the model when it stopped):', ...stopped] : []),
  ].join('\n');
}
