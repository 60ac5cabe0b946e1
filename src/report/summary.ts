/**
 * Aggregates finished runs per configuration (cells that differ only in seed): mean and standard
 * deviation over seeds of the numbers a comparison is about, as rows for summary.csv and the
 * terminal table.
 */
import { BnVariant, ghostBatchOfVariant } from '../experiment/bn-variants';
import type { RunResult } from '../experiment/result';
import { bnAccumulationOf, bnConventionOf, bnVariantOf } from './bn-labels';
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
  /** `plain`, `ghost:<g>` or `renorm`; null without BN. */
  bnVariant: BnVariant | null;
  /** `keras` or `pytorch`; null without BN. */
  bnConvention: string | null;
  /** How BN met micro-batches smaller than the batch (`chunk` or `exact`); null without BN or such micro-batches. */
  bnAccumulation: string | null;
  optimizer: string;
  learningRate: number;
  /** The learning-rate schedule's label; null for none. */
  lrSchedule: string | null;
  /** The backend, when the experiment lists backends; null otherwise. */
  backend: string | null;
  runs: number;
  failed: number;
  /** Runs that trained until their loss was no longer finite (their numbers are those of that model). */
  nanStopped: number;
  testAccuracy: Stat | null;
  testLoss: Stat | null;
  trainLoss: Stat | null;
  updatesPerEpoch: number | null;
  firstEpochSeconds: Stat | null;
  /** Mean seconds of whole epochs, on the timing basis. */
  steadyEpochSeconds: Stat | null;
  /** Seconds per update, on the timing basis. */
  updateSeconds: Stat | null;
  samplesPerSecond: Stat | null;
  /** Which epochs the rates are over: 'after the first epoch', 'first epoch only', or 'mixed'. */
  timingBasis: string | null;
  /** Relative gradient noise E||g_B - g||²/||g||² at the initial weights (the same for every strategy). */
  gradientNoise: Stat | null;
  /** Epochs, updates and seconds to the target accuracy over the runs that reached it, and how many did. */
  targetEpochs: Stat | null;
  targetUpdates: Stat | null;
  /** Standard error of gradientNoise's mean from the batches drawn: sqrt(sum of squared SEs) / runs. */
  gradientNoiseSE: number | null;
  /** Batches drawn per run for the noise (0: the batch is the whole training set, noise 0 by definition). */
  gradientNoiseBatches: number | null;
  /** Absolute gradient noise E||g_B - g||² at the initial weights. */
  gradientNoiseAbsolute: Stat | null;
  /** Relative gradient noise at each run's own last checkpoint (its own weights, after training). */
  gradientNoiseEnd: Stat | null;
  /** Peak MiB one update adds above data set, model and optimizer state. */
  updatePeakMB: Stat | null;
  /** Largest tensor MiB held between updates. */
  residentMB: Stat | null;
  /** Peak resident set size (MiB) of the process that ran the runs, so far. */
  maxRssMB: Stat | null;
  /** Samples per update. */
  batchSize: number | null;
  /** Samples BatchNorm normalised over in training (a ghost group or the micro-batch when smaller than the batch); null without BN. */
  bnBatch: number | null;
  targetSeconds: Stat | null;
  targetReached: string | null;
  error: string | null;
  /** The first NaN-stopped run's stop message. */
  stopReason: string | null;
  /** The most runs made at once (compare's jobs) while one of this configuration's runs ran. */
  jobs: number;
  /** Threads this configuration's runs computed with (wasm's pool): the most of any run; null where unknown. */
  threads: number | null;
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
  const initialNoise = (r: RunResult) => r.checkpoints?.find((c) => c.epoch === 0)?.gradientNoise;
  const finalNoise = (r: RunResult) => {
    const last = r.checkpoints?.[r.checkpoints.length - 1];
    return last && last.epoch > 0 ? last.gradientNoise : undefined;
  };
  const mib = (bytes: number | undefined) => (bytes === undefined ? null : bytes / 2 ** 20);
  const errors = ok.map((r) => initialNoise(r)?.relativeStandardError).filter((v): v is number => v !== undefined);
  const bases = new Set(ok.map((r) => r.timing?.basis).filter((b) => b !== undefined));
  return {
    group: cell.group,
    model: cell.model,
    strategy: cell.strategy,
    bn: cell.bn,
    bnVariant: bnVariantOf(cell),
    bnConvention: bnConventionOf(cell),
    bnAccumulation: bnAccumulationOf(cell, ok.find((r) => r.bnAccumulation !== undefined)?.bnAccumulation),
    optimizer: cell.optimizer,
    learningRate: cell.learningRate,
    lrSchedule: cell.lrSchedule ?? null,
    backend: cell.backend ?? null,
    runs: runs.length,
    failed: runs.length - ok.length,
    nanStopped: runs.filter((r) => outcomeOf(r) === 'nan').length,
    testAccuracy: pick((r) => r.test?.accuracy),
    testLoss: pick((r) => r.test?.loss),
    trainLoss: pick((r) => lastEpoch(r)?.loss),
    updatesPerEpoch: ok[0]?.timing?.updatesPerEpoch ?? null,
    firstEpochSeconds: pick((r) => r.timing?.firstEpochSeconds),
    steadyEpochSeconds: pick((r) => r.timing?.epochSeconds),
    updateSeconds: pick((r) => r.timing?.updateSeconds),
    samplesPerSecond: pick((r) => r.timing?.samplesPerSecond),
    timingBasis: bases.size === 0 ? null : bases.size === 1 ? [...bases][0] : 'mixed',
    gradientNoise: pick((r) => initialNoise(r)?.relativeVariance),
    gradientNoiseSE: errors.length > 0 ? Math.sqrt(errors.reduce((a, e) => a + e * e, 0)) / errors.length : null,
    gradientNoiseBatches: ok.map((r) => initialNoise(r)?.batches).find((b) => b !== undefined) ?? null,
    gradientNoiseAbsolute: pick((r) => initialNoise(r)?.meanSquaredDeviation),
    gradientNoiseEnd: pick((r) => finalNoise(r)?.relativeVariance),
    updatePeakMB: pick((r) => mib(r.memory?.updatePeakBytes)),
    residentMB: pick((r) => mib(r.memory?.residentBytes)),
    maxRssMB: pick((r) => mib(r.memory?.maxRssBytes)),
    batchSize: ok.find((r) => r.batchSize !== undefined)?.batchSize ?? null,
    bnBatch: ok.find((r) => r.bnBatch !== undefined)?.bnBatch ?? null,
    targetEpochs: pick((r) => r.target?.epoch),
    targetUpdates: pick((r) => r.target?.updates),
    targetSeconds: pick((r) => r.target?.seconds),
    targetReached: targets.length > 0 ? `${targets.filter((r) => r.target?.reached).length}/${targets.length}` : null,
    error: runs.find((r) => r.status === 'failed')?.error ?? null,
    stopReason: runs.map((r) => (outcomeOf(r) === 'nan' ? stopReasonOf(r)?.message : undefined)).find(Boolean) ?? null,
    jobs: Math.max(...ok.map((r) => r.jobs ?? 1), 1),
    threads: ok.some((r) => typeof r.threads === 'number') ? Math.max(...ok.map((r) => r.threads ?? 0)) : null,
  };
}

/** What a CSV cell may hold; objects have no CSV form and are left out by type. */
type CsvValue = string | number | boolean | null | undefined;

const CSV_COLUMNS: [string, (r: SummaryRow) => CsvValue][] = [
  ['model', (r) => r.model],
  ['strategy', (r) => r.strategy],
  ['bn', (r) => r.bn],
  ['bn_variant', (r) => r.bnVariant],
  ['bn_convention', (r) => r.bnConvention],
  ['bn_accumulation', (r) => r.bnAccumulation],
  ['optimizer', (r) => r.optimizer],
  ['learning_rate', (r) => r.learningRate],
  ['lr_schedule', (r) => r.lrSchedule],
  ['runs', (r) => r.runs],
  ['failed', (r) => r.failed],
  ['nan_stopped', (r) => r.nanStopped],
  ...statColumns('test_accuracy', (r) => r.testAccuracy),
  ...statColumns('test_loss', (r) => r.testLoss),
  ...statColumns('train_loss', (r) => r.trainLoss),
  ['updates_per_epoch', (r) => r.updatesPerEpoch],
  ...statColumns('first_epoch_seconds', (r) => r.firstEpochSeconds),
  ...statColumns('epoch_seconds', (r) => r.steadyEpochSeconds),
  ...statColumns('update_seconds', (r) => r.updateSeconds),
  ...statColumns('samples_per_second', (r) => r.samplesPerSecond),
  ['timing_basis', (r) => r.timingBasis],
  ...statColumns('gradient_noise', (r) => r.gradientNoise),
  ['gradient_noise_se', (r) => r.gradientNoiseSE],
  ['gradient_noise_batches', (r) => r.gradientNoiseBatches],
  ...statColumns('gradient_noise_absolute', (r) => r.gradientNoiseAbsolute),
  ...statColumns('gradient_noise_end', (r) => r.gradientNoiseEnd),
  ...statColumns('update_peak_mb', (r) => r.updatePeakMB),
  ...statColumns('resident_mb', (r) => r.residentMB),
  ...statColumns('max_rss_mb', (r) => r.maxRssMB),
  ['batch_size', (r) => r.batchSize],
  ['bn_batch', (r) => r.bnBatch],
  ...statColumns('target_epochs', (r) => r.targetEpochs),
  ...statColumns('target_updates', (r) => r.targetUpdates),
  ...statColumns('target_seconds', (r) => r.targetSeconds),
  ['target_reached', (r) => r.targetReached],
  ['error', (r) => r.error],
  ['stop_reason', (r) => r.stopReason],
  ['jobs', (r) => r.jobs],
  ['threads', (r) => r.threads],
];

function statColumns(name: string, get: (r: SummaryRow) => Stat | null): [string, (r: SummaryRow) => CsvValue][] {
  return [
    [`${name}_mean`, (r) => get(r)?.mean],
    [`${name}_std`, (r) => get(r)?.std],
  ];
}

/** Whether the rows are of more than one backend: then the CSV and the table have a backend column. */
const backendVaries = (rows: SummaryRow[]): boolean => new Set(rows.map((r) => r.backend)).size > 1;

/**
 * RFC 4180 CSV: a header and one row per configuration; empty cells for missing values. The backend
 * column follows lr_schedule when the backend varies.
 */
export function summaryCsv(rows: SummaryRow[]): string {
  const at = CSV_COLUMNS.findIndex(([name]) => name === 'lr_schedule') + 1;
  const backend: [string, (r: SummaryRow) => CsvValue] = ['backend', (r) => r.backend];
  const columns = backendVaries(rows) ? [...CSV_COLUMNS.slice(0, at), backend, ...CSV_COLUMNS.slice(at)] : CSV_COLUMNS;
  const cell = (v: CsvValue): string => {
    if (v === null || v === undefined) return '';
    const text = String(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return (
    [
      columns.map(([name]) => name).join(','),
      ...rows.map((r) => columns.map(([, get]) => cell(get(r))).join(',')),
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

const LEFT_ALIGNED = new Set([
  'model',
  'strategy',
  'BN',
  'BN conv.',
  'BN acc.',
  'optimizer',
  'lr',
  'lr schedule',
  'backend',
  'status',
]);

/**
 * A fixed-width terminal table of the main numbers, mean ± std over seeds. Factors beyond model,
 * strategy and BN get a column when they vary; the learning rate is the one trained with (a
 * schedule's peak). The BN column names the variant (off, plain, ghost:<g>, renorm) when any cell
 * is not plain BN, else on/off; 'BN acc.' the accumulation mode when any cell is exact (chunk, the
 * default, is also named by the † notes).
 */
export function summaryTable(rows: SummaryRow[]): string {
  const pm: Pm = (s, digits, scale = 1) =>
    s === null
      ? '-'
      : s.n > 1
        ? `${(s.mean * scale).toFixed(digits)} ± ${(s.std * scale).toFixed(digits)}`
        : (s.mean * scale).toFixed(digits);
  const varies = (f: (r: SummaryRow) => unknown): boolean => new Set(rows.map(f)).size > 1;
  const showVariants = rows.some((r) => r.bnVariant !== null && r.bnVariant !== 'plain');
  const showConvention = new Set(rows.map((r) => r.bnConvention).filter((c) => c !== null)).size > 1;
  const showAccumulation = rows.some((r) => r.bnAccumulation === 'exact');
  const showOptimizer = varies((r) => r.optimizer);
  const showLr = varies((r) => r.learningRate);
  const showSchedule = varies((r) => r.lrSchedule);
  const showBackend = backendVaries(rows);
  // Regression has no accuracy: its test loss takes the accuracy's place.
  const showTestLoss = rows.some((r) => r.testAccuracy === null && r.testLoss !== null);
  const showAccuracy = rows.some((r) => r.testAccuracy !== null) || !showTestLoss;
  const showTarget = rows.some((r) => r.targetReached !== null);
  const showStatus = rows.some((r) => r.failed + r.nanStopped > 0);
  const header = [
    'model',
    'strategy',
    'BN',
    ...(showConvention ? ['BN conv.'] : []),
    ...(showAccumulation ? ['BN acc.'] : []),
    ...(showOptimizer ? ['optimizer'] : []),
    ...(showLr ? ['lr'] : []),
    ...(showSchedule ? ['lr schedule'] : []),
    ...(showBackend ? ['backend'] : []),
    'runs',
    ...(showAccuracy ? ['test acc %'] : []),
    ...(showTestLoss ? ['test loss'] : []),
    'train loss',
    'updates/ep',
    `s/epoch ${basisTag(rows)}`,
    `s/update ${basisTag(rows)}`,
    `samples/s ${basisTag(rows)}`,
    'noise@init ± se',
    'BN batch',
    'update MB',
    'max RSS MB',
    ...(showTarget ? ['target', 'epochs to target', 'updates to target', 's to target'] : []),
    ...(showStatus ? ['status'] : []),
  ];
  const body = rows.map((r) => [
    r.model,
    r.strategy,
    r.bn ? (showVariants ? (r.bnVariant ?? 'plain') : 'on') : 'off',
    ...(showConvention ? [r.bnConvention ?? '-'] : []),
    ...(showAccumulation ? [r.bnAccumulation ?? '-'] : []),
    ...(showOptimizer ? [r.optimizer] : []),
    ...(showLr ? [learningRateCell(r.learningRate)] : []),
    ...(showSchedule ? [r.lrSchedule ?? 'none'] : []),
    ...(showBackend ? [r.backend ?? '-'] : []),
    r.failed > 0 ? `${r.runs - r.failed}/${r.runs}` : String(r.runs),
    ...(showAccuracy ? [pm(r.testAccuracy, 2, 100)] : []),
    ...(showTestLoss ? [pm(r.testLoss, 4)] : []),
    pm(r.trainLoss, 4),
    r.updatesPerEpoch === null ? '-' : String(r.updatesPerEpoch),
    basisMark(r, rows) + pm(r.steadyEpochSeconds, 2),
    basisMark(r, rows) + (r.updateSeconds === null ? '-' : significant(r.updateSeconds.mean)),
    basisMark(r, rows) + pm(r.samplesPerSecond, 0),
    noiseCell(r),
    r.bnBatch === null ? '-' : `${r.bnBatch}${bnChunked(r) ? '†' : ''}`,
    pm(r.updatePeakMB, 1),
    pm(r.maxRssMB, 0),
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
    ...tableNotes(rows),
    ...(failures.length ? ['failed runs:', ...failures] : []),
    ...(stopped.length ? ['NaN-stopped runs (their numbers are those of the model when it stopped):', ...stopped] : []),
  ].join('\n');
}

/** Which epochs the rate columns are over, as their headers say it. */
function basisTag(rows: SummaryRow[]): string {
  const bases = new Set(rows.map((r) => r.timingBasis).filter((b) => b !== null));
  if (bases.size === 1 && bases.has('first epoch only')) return '(ep 1)';
  return bases.has('first epoch only') || bases.has('mixed') ? '(ep 2+; *ep 1)' : '(ep 2+)';
}

function basisWords(rows: SummaryRow[]): string {
  const tag = basisTag(rows);
  if (tag === '(ep 1)') return 'over the first epoch (warm-up included: runs of one epoch)';
  const rest = 'over the epochs after the first (warm-up)';
  return tag.includes('*') ? `${rest}; * over the first epoch (runs of one epoch)` : rest;
}

/** A star on the rows whose rates are over the first epoch, when the header names both bases. */
function basisMark(r: SummaryRow, rows: SummaryRow[]): string {
  const first = r.timingBasis === 'first epoch only' || r.timingBasis === 'mixed';
  return first && basisTag(rows).includes('*') ? '*' : '';
}

/** Three significant digits, fixed for values from 0.01, exponent below. */
function significant(v: number): string {
  return v === 0 ? '0' : Math.abs(v) >= 0.01 ? v.toFixed(3) : v.toExponential(2);
}

function noiseCell(r: SummaryRow): string {
  if (r.gradientNoise === null) return '-';
  if (r.gradientNoiseBatches === 0) return '0 (B = N)';
  return `${significant(r.gradientNoise.mean)} ± ${significant(r.gradientNoiseSE ?? 0)}`;
}

/** BatchNorm normalised over micro-batches smaller than the batch. */
function bnChunked(r: SummaryRow): boolean {
  return r.bnBatch !== null && r.batchSize !== null && r.bnBatch < r.batchSize;
}

/** What the columns measure, in a few lines under the table. */
function tableNotes(rows: SummaryRow[]): string[] {
  const batches = rows.map((r) => r.gradientNoiseBatches).find((b) => b !== null && b > 0);
  const notes = [
    `s/epoch (whole epochs), s/update, samples/s: training time only, ${basisWords(rows)}.`,
    `noise@init: E||g_B - g||² / ||g||² at the initial weights (the same for every strategy), g the whole training set's gradient, B the batch drawn without replacement; ± its standard error over ${batches ?? 'the drawn'} batches. 0 (B = N): full batch, 0 by definition.`,
    "update MB: peak tensor memory one update adds above data, model and optimizer state. max RSS MB: the process's peak resident set size so far.",
  ];
  const contention = contentionNote(rows);
  if (contention) notes.push(contention);
  const threads = threadsNote(rows);
  if (threads) notes.push(threads);
  for (const r of rows.filter(bnChunked)) {
    const over =
      r.bnVariant && ghostBatchOfVariant(r.bnVariant) !== null
        ? `ghost batches of ${r.bnBatch} samples`
        : `micro-batches of ${r.bnBatch} samples (bnAccumulation ${r.bnAccumulation ?? 'chunk'}: ghost BN with g = ${r.bnBatch})`;
    notes.push(`† ${r.group}: BatchNorm normalised over ${over}, not over the whole batch of ${r.batchSize}.`);
  }
  return notes.map((n) => `  ${n}`);
}

/** How many threads each run computed with, when known: timings depend on it. */
export function threadsNote(rows: SummaryRow[]): string | null {
  const counts = [...new Set(rows.map((r) => r.threads).filter((t): t is number => t !== null))].sort((a, b) => a - b);
  if (counts.length === 0) return null;
  const many = counts.length > 1 || counts[0] > 1;
  return `Threads per run: ${counts.join(', ')} (the backend's compute thread${many ? 's' : ''}; time depends on them).`;
}

/**
 * With jobs > 1 the runs shared the machine's cores with each other, so every timing is that of a
 * loaded machine; null when every run ran alone.
 */
export function contentionNote(rows: SummaryRow[]): string | null {
  const jobs = Math.max(1, ...rows.map((r) => r.jobs));
  if (jobs === 1) return null;
  return (
    `Timings were taken with --jobs ${jobs}: up to ${jobs} runs at once shared this machine's cores, so s/epoch, ` +
    's/update and samples/s are inflated by contention; for timings to compare, run with --jobs 1.'
  );
}
