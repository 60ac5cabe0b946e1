/**
 * `merge(outDir)`: gathers the shards of a planned experiment into the files one local run leaves
 * behind: results.jsonl (one line per cell, in plan order), summary.csv, plots/ and report.html,
 * with every cell's numbers as its shard recorded them. Also says which cells are missing (no
 * shard recorded them) or failed, and which shard reruns each. Reading shard files is shard.ts's,
 * the plan plan-file.ts's, the summary and report outputs.ts's.
 */
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import { InputError } from '../data/input-error';
import type { RunResult } from '../experiment/result';
import { ExperimentSpec, resolveSpec } from '../experiment/spec';
import type { SummaryRow } from '../report/summary';
import { OutputFiles, resultsOfCells, writeOutputs } from './outputs';
import { PLAN_FILE, PlannedCell, readPlanFile } from './plan-file';
import { Shard, allResults, shardFiles, shardOfCell } from './shard';

export interface MergeOptions {
  /** Write plots and report.html. Default: true. */
  report?: boolean;
}

/** A cell without a successful result, and the shard that runs it (when the shard count is known). */
export interface OpenCell {
  cell: PlannedCell;
  shard: Shard | null;
  /** The failed run's error; absent for a cell no shard recorded. */
  error?: string;
}

export interface MergeResult {
  outDir: string;
  spec: ExperimentSpec;
  /** One result per cell that has one, in plan order: what results.jsonl now holds. */
  results: RunResult[];
  summary: SummaryRow[];
  files: OutputFiles & { results: string };
  cells: number;
  /** Shard results files read. */
  shardFiles: number;
  /** The shard count the shard files were written with; null when none or several. */
  shardCount: number | null;
  missing: OpenCell[];
  failed: OpenCell[];
  /**
   * Backends the results were trained on, but for cells of an experiment that lists backends (which
   * differ by design); more than one means their numbers are not comparable bit for bit.
   */
  backends: string[];
}

export async function merge(outDir: string, options: MergeOptions = {}): Promise<MergeResult> {
  const dir = resolve(outDir);
  const plan = await readPlanFile(dir);
  if (!plan) {
    throw new InputError(
      `${join(dir, PLAN_FILE)} does not exist: merge gathers the shards of a planned experiment (batchlab compare --plan --out ${outDir}, or its first shard, writes the plan)`,
    );
  }
  const files = await shardFiles(dir);
  const counts = [...new Set(files.map((f) => f.shard.count))];
  const shardCount = counts.length === 1 ? counts[0] : null;
  const results = resultsOfCells(
    await allResults(dir),
    plan.cells.map((c) => c.id),
  );
  const byId = new Map(results.map((r) => [r.id, r]));
  const open = (cell: PlannedCell): OpenCell => ({
    cell,
    shard: shardCount === null ? null : shardOfCell(cell.number, shardCount),
    ...(byId.get(cell.id)?.error === undefined ? {} : { error: byId.get(cell.id)?.error }),
  });
  const resultsPath = join(dir, 'results.jsonl');
  await writeFileAtomic(resultsPath, results.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const spec = resolveSpec(plan.spec, join(dir, PLAN_FILE));
  const written = await writeOutputs(dir, spec, results, { report: options.report !== false });
  return {
    outDir: dir,
    spec,
    results,
    summary: written.summary,
    files: { results: resultsPath, ...written.files },
    cells: plan.cells.length,
    shardFiles: files.length,
    shardCount,
    missing: plan.cells.filter((c) => !byId.has(c.id)).map(open),
    failed: plan.cells.filter((c) => byId.get(c.id)?.status === 'failed').map(open),
    backends: [...new Set(results.filter((r) => !r.cell.backend).map((r) => r.backend))],
  };
}
