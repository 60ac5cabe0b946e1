/**
 * Which fields of two experiment specs differ, as JSON (spec.json) holds them: what resume checks
 * before adding runs to a directory, so that an error can name each field and both values. Naming
 * the flag that sets a field is the CLI's.
 */
import type { ExperimentSpec } from '../experiment/spec';

export interface SpecDifference {
  field: string;
  /** The value in the directory's spec.json, as text; "(none)" when absent. */
  there: string;
  here: string;
}

/**
 * @example specDifferences({ seeds: 1, budget: { kind: 'epochs', epochs: 2 } }, resolved spec with
 * seeds 2 and that budget) -> [{ field: 'seeds', there: '1', here: '2' }]
 */
export function specDifferences(stored: unknown, spec: ExperimentSpec): SpecDifference[] {
  const there = asRecord(JSON.parse(JSON.stringify(stored ?? {})));
  const here = asRecord(JSON.parse(JSON.stringify(spec)));
  const fields = [...new Set([...Object.keys(here), ...Object.keys(there)])];
  return fields
    .filter((field) => JSON.stringify(there[field]) !== JSON.stringify(here[field]))
    .map((field) => ({ field, there: show(there[field]), here: show(here[field]) }));
}

/** `name: there X, here Y` for each difference, one per line. */
export function describeDifferences(differences: SpecDifference[], name = (field: string) => field): string {
  return differences.map((d) => `  ${name(d.field)}: ${d.there} in spec.json, ${d.here} here`).join('\n');
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Lists as a,b; budgets and rules as kind:value; everything else as JSON. */
function show(value: unknown): string {
  if (value === undefined) return '(none)';
  if (Array.isArray(value)) return value.map(show).join(',');
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'kind' in value) {
    const { kind, ...rest } = value as Record<string, unknown>;
    const values = Object.values(rest);
    return values.length === 0 ? String(kind) : `${String(kind)}:${values.map(show).join(',')}`;
  }
  return JSON.stringify(value);
}
