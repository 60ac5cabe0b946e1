/**
 * plan.json: an experiment resolved once, before any training, for processes that run its cells
 * elsewhere: the spec, the fingerprint of the data it was planned on, and the numbered cells, each
 * with its full configuration. Shards check their own spec and data against it and refuse to run
 * when either differs; merge reads the cell list from it. Owns the file's shape, writing it once
 * (also when several shards start together) and those checks; which cells a shard runs is
 * shard.ts's.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeFileAtomicIfAbsent, writeJsonAtomic } from '../io/atomic-write';
import { InputError } from '../data/input-error';
import { contentFingerprint } from '../data/fingerprint';
import { CellRecord, cellRecord } from '../experiment/cells';
import { Plan, planExperiment } from '../experiment/plan';
import type { CellSettings } from '../experiment/run-cell';
import { ExperimentData, disposeExperimentData, prepareExperiment } from '../experiment/setup';
import { ExperimentSpec, ExperimentSpecInput, resolveSpec } from '../experiment/spec';
import { describeDifferences, specDifferences } from './spec-diff';

/** A cell as plan.json lists it: its number, and everything its run depends on. */
export interface PlannedCell extends Omit<CellRecord, 'backend'> {
  /** The cell's place in the plan, from 0: shard i of n runs the cells whose number is i modulo n. */
  number: number;
  settings: Omit<CellSettings, 'callbacks'>;
  data: { name: string; dataDir: string | null; limit: number | null };
  /** The cell's backend when the experiment lists backends, else the spec's. */
  backend: string;
}

export interface PlanFile {
  spec: ExperimentSpec;
  data: {
    description: string;
    trainSize: number;
    testSize: number;
    /** contentFingerprint([train, test]). */
    sha256: string;
  };
  cells: PlannedCell[];
}

export const PLAN_FILE = 'plan.json';

/** The plan file's content for a planned experiment on loaded data. */
export async function planFile(spec: ExperimentSpec, plan: Plan, data: ExperimentData): Promise<PlanFile> {
  const settings = { ...plan.settings };
  const cells = plan.cells.map((cell, number) => ({
    number,
    ...cellRecord(cell),
    settings,
    data: { name: spec.data, dataDir: spec.dataDir ?? null, limit: spec.limit ?? null },
    backend: cell.backend ?? spec.backend,
  }));
  return {
    // Through JSON, so that strategies are their labels, as in spec.json.
    spec: JSON.parse(JSON.stringify(spec)) as ExperimentSpec,
    data: {
      description: data.description,
      trainSize: data.train.size,
      testSize: data.test.size,
      sha256: await contentFingerprint([data.train, data.test]),
    },
    cells,
  };
}

/**
 * `compare --plan`: loads the data, plans the experiment and writes plan.json and spec.json into
 * `outDir`, without training. A plan already there must be this one (same spec, same data).
 */
export async function writePlan(specInput: ExperimentSpecInput | ExperimentSpec, outDir: string): Promise<PlanFile> {
  const spec = resolveSpec(specInput);
  const data = await prepareExperiment(spec);
  try {
    const file = await planFile(spec, planExperiment(spec, data.train.size), data);
    await writePlanFile(resolve(outDir), file);
    return file;
  } finally {
    disposeExperimentData(data);
  }
}

/** The plan in `outDir`, or null when there is none. */
export async function readPlanFile(outDir: string): Promise<PlanFile | null> {
  const path = join(outDir, PLAN_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as PlanFile;
  } catch (error) {
    throw new InputError(`${path}: not a readable plan (${(error as Error).message})`);
  }
}

/**
 * Writes plan.json and spec.json into `outDir`, or, when a plan is already there, checks that it is
 * this one. With `onlyIfAbsent` the plan is created only if no other process has created it in the
 * meantime (shards starting together), and the one that lost checks against the winner's.
 */
export async function writePlanFile(outDir: string, plan: PlanFile, { onlyIfAbsent = false } = {}): Promise<void> {
  const existing = await readPlanFile(outDir);
  if (existing) return checkAgainstPlan(outDir, existing, plan);
  const text = `${JSON.stringify(plan, null, 2)}\n`;
  const path = join(outDir, PLAN_FILE);
  if (onlyIfAbsent) {
    if (!(await writeFileAtomicIfAbsent(path, text))) {
      return checkAgainstPlan(outDir, (await readPlanFile(outDir)) as PlanFile, plan);
    }
  } else {
    await writeFileAtomic(path, text);
  }
  await writeJsonAtomic(join(outDir, 'spec.json'), plan.spec);
}

/**
 * Refuses a process whose spec or data differ from the plan's: its runs could not be merged with the
 * others'. The messages name each differing field, or both fingerprints and data descriptions.
 */
export function checkAgainstPlan(outDir: string, stored: PlanFile, mine: PlanFile): void {
  const path = join(outDir, PLAN_FILE);
  const differences = specDifferences(stored.spec, mine.spec);
  if (differences.length > 0) {
    throw new InputError(
      `${path} plans a different experiment than this one; use its spec (batchlab compare --resume --out ${outDir}) or another --out:\n${describeDifferences(differences).replace(/spec\.json/g, PLAN_FILE)}`,
    );
  }
  if (stored.data.sha256 !== mine.data.sha256) {
    throw new InputError(
      `the data here differs from the data ${path} was planned on, so these runs could not be merged with the others:\n` +
        `  planned on: ${stored.data.description}, ${stored.data.trainSize} train / ${stored.data.testSize} test, sha256 ${stored.data.sha256}\n` +
        `  here:       ${mine.data.description}, ${mine.data.trainSize} train / ${mine.data.testSize} test, sha256 ${mine.data.sha256}\n` +
        `every machine must read the same data files (a shared path, or identical copies)`,
    );
  }
}

/** "  3  mlp/mini:32/bn/adam/lr0.001/seed0", the lines of a numbered cell list. */
export function cellLines(cells: Pick<PlannedCell, 'number' | 'id'>[]): string[] {
  const width = String(Math.max(0, ...cells.map((c) => c.number))).length;
  return cells.map((c) => `  ${String(c.number).padStart(width)}  ${c.id}`);
}
