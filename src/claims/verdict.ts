/**
 * What checking a claim gives: the claim, the rule it was judged by, the measured evidence in one
 * line, a verdict in plain words and the chart that shows it. Owns the verdict kinds and their
 * wording, and the number formats the evidence lines share; each claim's rule is its own module's.
 */

/** How a claim fared on this machine. */
export type VerdictKind = 'holds' | 'holds in part' | 'does not hold' | 'cannot be checked';

export interface Verdict {
  kind: VerdictKind;
  /** The verdict as the table shows it: "holds here", "cannot be checked here: no GPU backend (...)". */
  text: string;
}

export interface ClaimCheck {
  /** Stable key in claims.json, e.g. `powers-of-two`. */
  id: string;
  /** The claim as textbooks state it. */
  claim: string;
  /** The rule the verdict follows, with its thresholds (the README quotes it verbatim). */
  rule: string;
  /** The measured figures the verdict rests on, in one line. */
  evidence: string;
  verdict: Verdict;
  /** The report chart (its anchor in report.html and plots/<name>.svg) that shows it; null for none. */
  plot: string | null;
}

export const holds = (): Verdict => ({ kind: 'holds', text: 'holds here' });
export const doesNotHold = (why: string): Verdict => ({ kind: 'does not hold', text: `does not hold here: ${why}` });
export const holdsInPart = (how: string): Verdict => ({ kind: 'holds in part', text: `holds here in part: ${how}` });
export const cannotBeChecked = (why: string): Verdict => ({
  kind: 'cannot be checked',
  text: `cannot be checked here: ${why}`,
});

/** Three significant digits, without exponent for ordinary magnitudes: 0.0123, 4.56, 1230. */
export function figure(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return value.toFixed(Math.min(digits, 8));
}

/** Bytes in the unit that keeps them readable: 812 B, 41.3 KB, 97.6 MB (powers of 1024). */
export function bytes(value: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let unit = 0;
  let scaled = value;
  while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${unit === 0 ? String(Math.round(scaled)) : figure(scaled)} ${units[unit]}`;
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
