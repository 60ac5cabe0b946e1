/**
 * `batchlab compare`'s words for an experiment its data cannot run (src/experiment/feasibility.ts):
 * each problem names where the user set the value, the flag (`--strategies mini:5000: ...`), the
 * spec file's field (`exp.yaml: strategies[1]: mini:5000: ...`) or the default that applied, so
 * that the message points at what to change.
 */
import type { SpecProblem } from '../experiment/feasibility';

/** Where an experiment's fields came from. */
export interface SpecSource {
  /** Spec fields a flag set. */
  flags: ReadonlySet<string>;
  /** The file (or preset) the other fields came from, or null for the defaults. */
  file: string | null;
  /** The flag of a spec field. */
  flagOf: (field: string) => string;
}

export function describeSpecProblems(problems: readonly SpecProblem[], source: SpecSource): string {
  return problems
    .map(({ field, path, value, message }) => {
      if (field === null) return source.file === null ? message : `${source.file}: ${message}`;
      if (source.flags.has(field)) return `${source.flagOf(field)} ${value}: ${message}`;
      if (source.file !== null) return `${source.file}: ${path}: ${value}: ${message}`;
      return `${source.flagOf(field)} ${value} (the default): ${message}`;
    })
    .join('\n');
}
