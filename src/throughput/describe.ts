/**
 * The rules that turn a sweep's points into findings and one sentence per backend: whether powers
 * of two stand out from their neighbours, by how much, against the spread of the repeats, and where
 * throughput stops growing. Pure functions of the points; PLATEAU_FRACTION and the neighbour rule
 * are stated in the sentences' own terms so that a reader can check them against the table.
 */
import { isPowerOfTwo, ThroughputPoint } from './sweep';

/** Throughput has stopped growing at the smallest batch size reaching this fraction of the maximum. */
export const PLATEAU_FRACTION = 0.95;

/**
 * Neighbours of a power of two p lie within this fraction of p either side: close enough that the
 * growth of throughput with batch size does not pass for a power-of-two effect (257 is no fair
 * neighbour of 512, 96 and 160 are of 128).
 */
export const NEIGHBOURHOOD = 0.25;

export const THROUGHPUT_RULE =
  'each power of two p is compared with the nearest measured batch size that is not a power of two on each side, ' +
  `within ${NEIGHBOURHOOD * 100}% of p; its gap is the mean samples/s of p over what its neighbours predict ` +
  '(with one on each side, their means interpolated in log2 of the batch size, which takes out the growth with ' +
  'batch size; with one, its mean), minus 1, and counts only beyond the spread of the repeats (the largest ' +
  '(max - min) / mean among p and its neighbours; both to 0.1%); throughput stops growing at the smallest batch ' +
  `size whose mean is within ${Math.round((1 - PLATEAU_FRACTION) * 100)}% of the largest mean`;

/** One power of two against its neighbours. `outcome` needs at least 2 repeats of each to judge. */
export interface PowerComparison {
  power: number;
  neighbours: number[];
  /** (mean of p / the neighbours' prediction for p - 1) x 100 (see THROUGHPUT_RULE). */
  gapPercent: number;
  /** The largest relative range of repeats, (max - min) / mean x 100, among p and its neighbours. */
  spreadPercent: number;
  outcome: 'faster' | 'slower' | 'within noise' | 'one repeat';
}

export type PowerVerdict = 'stand out' | 'do not stand out' | 'within noise' | 'mixed' | 'one repeat' | 'not compared';

export interface Plateau {
  /** The smallest batch size within PLATEAU_FRACTION of the largest mean. */
  batchSize: number;
  samplesPerSecond: number;
  /** The batch size of the largest mean, and that mean. */
  maxBatchSize: number;
  maxSamplesPerSecond: number;
  /** Whether only the largest batch size measured reaches the plateau (throughput may grow further). */
  stillGrowing: boolean;
}

export interface ThroughputFinding {
  backend: string;
  comparisons: PowerComparison[];
  verdict: PowerVerdict;
  plateau: Plateau;
  sentence: string;
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The sample standard deviation (0 for one value). */
export function standardDeviation(values: number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

function tenths(percent: number): number {
  return Math.round(percent * 10) / 10;
}

function relativeRange(values: number[]): number {
  return (Math.max(...values) - Math.min(...values)) / mean(values);
}

/** Each power of two in `points` (one backend's) that has a measured neighbour, compared with it. */
export function comparePowers(points: ThroughputPoint[]): PowerComparison[] {
  const sorted = [...points].sort((a, b) => a.batchSize - b.batchSize);
  const others = sorted.filter((p) => !isPowerOfTwo(p.batchSize));
  return sorted.flatMap((p) => {
    if (!isPowerOfTwo(p.batchSize)) return [];
    const [low, high] = [p.batchSize * (1 - NEIGHBOURHOOD), p.batchSize * (1 + NEIGHBOURHOOD)];
    const below = others.filter((o) => o.batchSize < p.batchSize && o.batchSize >= low).pop();
    const above = others.find((o) => o.batchSize > p.batchSize && o.batchSize <= high);
    const near = [below, above].filter((o): o is ThroughputPoint => o !== undefined);
    if (near.length === 0) return [];
    const gap = mean(p.samplesPerSecond) / predicted(p.batchSize, near) - 1;
    const involved = [p, ...near];
    const spread = Math.max(...involved.map((o) => relativeRange(o.samplesPerSecond)));
    const judged = involved.every((o) => o.samplesPerSecond.length >= 2);
    // Judged as printed, to 0.1%: a sentence never calls +9.5% beyond a spread of 9.5%.
    const [g, sp] = [tenths(gap * 100), tenths(spread * 100)];
    const outcome = !judged ? 'one repeat' : g > sp ? 'faster' : g < -sp ? 'slower' : 'within noise';
    return [
      {
        power: p.batchSize,
        neighbours: near.map((o) => o.batchSize),
        gapPercent: gap * 100,
        spreadPercent: spread * 100,
        outcome,
      },
    ];
  });
}

/**
 * Samples/s at batch size b as its neighbours predict it: one neighbour's mean, or the two means
 * interpolated in log2 of the batch size.
 * @example predicted(128, [96 at 900, 160 at 1100]) -> 900 + 200 * log2(128/96) / log2(160/96) = 1012.6
 */
export function predicted(b: number, near: ThroughputPoint[]): number {
  const [first, second] = near.map((o) => ({ size: o.batchSize, rate: mean(o.samplesPerSecond) }));
  if (!second) return first.rate;
  const t = Math.log2(b / first.size) / Math.log2(second.size / first.size);
  return first.rate + (second.rate - first.rate) * t;
}

/** What the comparisons of one backend say together. */
export function powerVerdict(comparisons: PowerComparison[]): PowerVerdict {
  if (comparisons.length === 0) return 'not compared';
  const outcomes = comparisons.map((c) => c.outcome);
  if (outcomes.includes('one repeat')) return 'one repeat';
  if (outcomes.every((o) => o === 'faster')) return 'stand out';
  if (outcomes.every((o) => o === 'within noise')) return 'within noise';
  return outcomes.includes('faster') ? 'mixed' : 'do not stand out';
}

/** Where one backend's throughput stops growing (see PLATEAU_FRACTION). */
export function findPlateau(points: ThroughputPoint[]): Plateau {
  const sorted = [...points].sort((a, b) => a.batchSize - b.batchSize);
  const means = sorted.map((p) => mean(p.samplesPerSecond));
  const max = Math.max(...means);
  const at = means.findIndex((m) => m >= PLATEAU_FRACTION * max);
  return {
    batchSize: sorted[at].batchSize,
    samplesPerSecond: means[at],
    maxBatchSize: sorted[means.indexOf(max)].batchSize,
    maxSamplesPerSecond: max,
    stillGrowing: at === sorted.length - 1,
  };
}

/** Findings per backend, in the order the backends first appear in `points`. */
export function assessThroughput(points: ThroughputPoint[]): ThroughputFinding[] {
  const backends = [...new Set(points.map((p) => p.backend))];
  return backends.map((backend) => {
    const own = points.filter((p) => p.backend === backend);
    const comparisons = comparePowers(own);
    const verdict = powerVerdict(comparisons);
    const plateau = findPlateau(own);
    return { backend, comparisons, verdict, plateau, sentence: sentenceOf(backend, comparisons, verdict, plateau) };
  });
}

/**
 * One sentence per backend stating what the data show (RULE says how).
 * @example describeThroughput(points)[0] ->
 *   'wasm: powers of two do not stand out beyond the spread of repeats (128 +1.2% vs 127/129, spread 4.0%); ' +
 *   'throughput stops growing at batch size 256 (within 5% of the largest mean, 30,100 samples/s at 512).'
 */
export function describeThroughput(points: ThroughputPoint[]): string[] {
  return assessThroughput(points).map((f) => f.sentence);
}

const VERDICT_WORDS: Record<PowerVerdict, string> = {
  'stand out': 'powers of two stand out from their neighbours, each beyond the spread of repeats',
  'do not stand out': 'powers of two do not stand out from their neighbours',
  'within noise': 'powers of two do not stand out beyond the spread of repeats',
  mixed: 'only some powers of two stand out from their neighbours beyond the spread of repeats',
  'one repeat': 'with one repeat the spread is unknown, so whether powers of two stand out cannot be told',
  'not compared': 'no power of two in the sweep has a measured neighbour that is not one, so none is compared',
};

function sentenceOf(backend: string, comparisons: PowerComparison[], verdict: PowerVerdict, plateau: Plateau): string {
  const details = comparisons.map(
    (c) =>
      `${c.power} ${signed(c.gapPercent)} vs ${c.neighbours.join('/')}` +
      (c.outcome === 'one repeat' ? '' : `, spread ${c.spreadPercent.toFixed(1)}%${outcomeMark(c, verdict)}`),
  );
  const powers = `${VERDICT_WORDS[verdict]}${details.length > 0 ? ` (${details.join('; ')})` : ''}`;
  const max = `${formatRate(plateau.maxSamplesPerSecond)} samples/s at ${plateau.maxBatchSize}`;
  const within = `within ${Math.round((1 - PLATEAU_FRACTION) * 100)}% of the largest mean`;
  const growth = plateau.stillGrowing
    ? `throughput is still growing at the largest batch size measured, ${plateau.batchSize} (the only one ${within}, ${max})`
    : `throughput stops growing at batch size ${plateau.batchSize} (the smallest ${within}, ${max})`;
  return `${backend}: ${powers}; ${growth}.`;
}

/** In a mixed verdict, which comparisons stand out and which do not. */
function outcomeMark(c: PowerComparison, verdict: PowerVerdict): string {
  if (verdict !== 'mixed' && verdict !== 'do not stand out') return '';
  return c.outcome === 'faster' ? ': stands out' : c.outcome === 'slower' ? ': slower' : ': within noise';
}

function signed(percent: number): string {
  const text = `${Math.abs(percent).toFixed(1)}%`;
  return percent < 0 ? `-${text}` : `+${text}`;
}

/** Samples/s with thousands separators and no decimals (e.g. 30,100). */
export function formatRate(samplesPerSecond: number): string {
  return Math.round(samplesPerSecond).toLocaleString('en-US');
}
