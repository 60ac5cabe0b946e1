/**
 * "Powers of two are faster": training throughput (samples per second, a value per repeat) of a
 * power-of-two batch size against its neighbours P - 1 and P + 1, on each backend swept. Owns the
 * rule over throughput points; measuring them is the throughput sweep's.
 */
import { ClaimCheck, cannotBeChecked, doesNotHold, figure, holds, holdsInPart, median } from './verdict';

/** One batch size on one backend, as the throughput sweep measures it. */
export interface ThroughputPointLike {
  backend: string;
  batchSize: number;
  /** One value per repeat. */
  samplesPerSecond: number[];
}

export const POWERS_RULE =
  'A power of two P (2 or more) stands out on a backend if every repeat at P is faster than every repeat at P - 1 and ' +
  "at P + 1 (faster than both neighbours by more than the repeats' spread). The claim holds on a backend if more than " +
  'half of its powers of two measured with both neighbours stand out; holds here if on every backend swept, in part ' +
  'if on some. Cannot be checked without a power of two measured with both neighbours.';

const isPowerOfTwo = (n: number): boolean => n >= 2 && (n & (n - 1)) === 0;

interface PowerTest {
  backend: string;
  power: number;
  standsOut: boolean;
  /** Median at P over the faster neighbour's median. */
  ratio: number;
}

/** Each power of two with both neighbours on the same backend, and whether it stands out. */
export function powerTests(points: ThroughputPointLike[]): PowerTest[] {
  const at = (backend: string, batchSize: number) =>
    points.find((p) => p.backend === backend && p.batchSize === batchSize && p.samplesPerSecond.length > 0);
  return points.flatMap((p) => {
    if (!isPowerOfTwo(p.batchSize) || p.samplesPerSecond.length === 0) return [];
    const below = at(p.backend, p.batchSize - 1);
    const above = at(p.backend, p.batchSize + 1);
    if (!below || !above) return [];
    const slowest = Math.min(...p.samplesPerSecond);
    const fastestNeighbour = Math.max(...below.samplesPerSecond, ...above.samplesPerSecond);
    const ratio = median(p.samplesPerSecond) / Math.max(median(below.samplesPerSecond), median(above.samplesPerSecond));
    return [{ backend: p.backend, power: p.batchSize, standsOut: slowest > fastestNeighbour, ratio }];
  });
}

export function checkPowersOfTwoClaim(points: ThroughputPointLike[], plot: string | null): ClaimCheck {
  const base = { id: 'powers-of-two', claim: 'Powers of two are faster', rule: POWERS_RULE };
  const tests = powerTests(points);
  if (tests.length === 0) {
    const evidence =
      points.length === 0
        ? 'no throughput measured'
        : `batch sizes swept: ${[...new Set(points.map((p) => p.batchSize))].join(', ')}`;
    return { ...base, evidence, plot, verdict: cannotBeChecked('no power of two measured with both neighbours') };
  }
  const backends = [...new Set(tests.map((t) => t.backend))];
  const perBackend = backends.map((backend) => {
    const mine = tests.filter((t) => t.backend === backend);
    const out = mine.filter((t) => t.standsOut).length;
    const ratios = mine.map((t) => `${t.power}: ${figure(t.ratio)}x`).join(', ');
    return { backend, holds: out > mine.length / 2, text: `${backend} ${out} of ${mine.length} stand out (${ratios})` };
  });
  const evidence = `${perBackend.map((b) => b.text).join('; ')}; median at P over the faster neighbour's`;
  const holding = perBackend.filter((b) => b.holds).map((b) => b.backend);
  if (holding.length === backends.length) return { ...base, evidence, plot, verdict: holds() };
  if (holding.length === 0) {
    return {
      ...base,
      evidence,
      plot,
      verdict: doesNotHold('no backend is faster at powers of two than at their neighbours'),
    };
  }
  const others = backends.filter((b) => !holding.includes(b));
  return { ...base, evidence, plot, verdict: holdsInPart(`on ${holding.join(', ')}, not on ${others.join(', ')}`) };
}
