/**
 * `compare(spec)`: runs every cell of an experiment and leaves one output directory behind:
 * spec.json, results.jsonl (appended as each run ends), summary.csv, plots/ and report.html,
 * optionally TensorBoard event files. Owns the order of work, resuming and the output files;
 * training a cell is run-cell.ts's job, drawing the report report.ts's.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic-write';
import { writeReport } from '../report/report';
import type { Cell } from '../experiment/cells';
import { planExperiment } from '../experiment/plan';
import { appendResult, ensureTrailingNewline, finishedIds, readResults } from './results-file';
import { RunResult, describeBudget } from '../experiment/result';
import { CellRunner, inProcessRunner, stopWhenAborted } from './runners';
import { startWorker } from './worker-process';
import { PoolInterrupted, runPool } from './pool';
import { CompareInterrupted } from './outcome';
import { describeDifferences, specDifferences } from './spec-diff';
import { disposeExperimentData, prepareExperiment } from '../experiment/setup';
import { SpecDataError, specProblems } from '../experiment/feasibility';
import { ExperimentSpec, ExperimentSpecInput, resolveSpec } from '../experiment/spec';
import { SummaryRow, summarize, summaryCsv } from '../report/summary';
import { writeRunEvents } from './tensorboard-run';
import type { Callback } from '../training';

export interface CompareOptions {
  /** Output directory. Default: runs/compare-<time>. */
  outDir?: string;
  /** Skip cells already finished in outDir's results.jsonl (failed cells run again). Default: false. */
  resume?: boolean;
  /** Worker processes running cells in parallel. Default: 1 (in this process). */
  jobs?: number;
  /** Write TensorBoard event files under outDir/tensorboard. Default: false. */
  tensorboard?: boolean;
  /** Write plots and report.html. Default: true. */
  report?: boolean;
  /** Progress lines. Default: none. */
  log?: (line: string) => void;
  /**
   * Extra training callbacks, made afresh for each run (so that a display such as progressBar()
   * starts each run clean); only with jobs 1. Default: none.
   */
  callbacks?: () => Callback[];
  /**
   * Aborting stops every run at once (worker processes are ended) and compare() rejects with
   * CompareInterrupted; results.jsonl keeps every run finished before, for resume. Default: none.
   */
  signal?: AbortSignal;
}

export interface CompareResult {
  outDir: string;
  spec: ExperimentSpec;
  /** Every run in results.jsonl, earlier (resumed) ones included. */
  results: RunResult[];
  summary: SummaryRow[];
  /** Runs made by this call (not skipped by resume). */
  ran: number;
  skipped: number;
  files: { results: string; summary: string; report: string | null; plots: string[] };
}

export async function compare(
  specInput: ExperimentSpecInput | ExperimentSpec,
  options: CompareOptions = {},
): Promise<CompareResult> {
  const spec = resolveSpec(specInput);
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs must be a positive integer, got ${jobs}`);
  const log = options.log ?? (() => undefined);
  const outDir = resolve(options.outDir ?? join('runs', `compare-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const resultsPath = join(outDir, 'results.jsonl');
  const earlier = await checkOutputDir(outDir, resultsPath, spec, options.resume ?? false);
  const done = finishedIds(earlier);
  const data = await prepareExperiment(spec);
  const problems = specProblems(spec, data);
  if (problems.length > 0) {
    disposeExperimentData(data);
    throw new SpecDataError(problems);
  }
  const plan = planExperiment(spec, data.train.size);
  const todo = plan.cells.filter((c) => !done.has(c.id));
  let ran = 0;
  try {
    log(
      `${spec.name}: ${plan.cells.length} runs (${plan.cells.length - todo.length} already done), ${data.description}, backend ${data.backend.name}`,
    );
    await writeJsonAtomic(join(outDir, 'spec.json'), spec);
    await ensureTrailingNewline(resultsPath);
    const signal = options.signal;
    const callbacks = (): Callback[] => [
      ...(signal ? [stopWhenAborted(signal)] : []),
      ...(options.callbacks?.() ?? []),
    ];
    await runPool({
      cells: todo,
      slots: jobs === 1 ? 1 : Math.min(jobs, Math.max(todo.length, 1)),
      start: (name): Promise<CellRunner> =>
        jobs === 1 ? Promise.resolve(inProcessRunner(data)) : startWorker(spec, name),
      settings: () => (jobs === 1 ? { ...plan.settings, callbacks: callbacks() } : plan.settings),
      onResult: async (result) => {
        await appendResult(resultsPath, result);
        if (options.tensorboard) await writeRunEvents(join(outDir, 'tensorboard'), result);
        ran++;
        log(`[${ran}/${todo.length}] ${describeResult(result)}`);
      },
      onStart: (cell, runner) => log(jobs === 1 ? `running ${cell.id}` : `running ${cell.id} on ${runner}`),
      log,
      signal,
      backend: data.backend.name,
    });
  } catch (error) {
    if (!(error instanceof PoolInterrupted)) throw error;
    const finished = finishedIds((await readResults(resultsPath)).results);
    throw new CompareInterrupted(outDir, plan.cells.filter((c) => finished.has(c.id)).length, plan.cells.length);
  } finally {
    disposeExperimentData(data);
  }
  return finish(outDir, spec, plan.cells, resultsPath, ran, options);
}

async function finish(
  outDir: string,
  spec: ExperimentSpec,
  cells: Cell[],
  resultsPath: string,
  ran: number,
  options: CompareOptions,
): Promise<CompareResult> {
  const { results: all } = await readResults(resultsPath);
  const order = new Map(cells.map((c, i) => [c.id, i]));
  const results = all.filter((r) => order.has(r.id)).sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  const latest = [...new Map(results.map((r) => [r.id, r])).values()];
  const summary = summarize(latest);
  const summaryPath = join(outDir, 'summary.csv');
  await writeFileAtomic(summaryPath, summaryCsv(summary));
  const report = options.report === false ? null : await writeReport(outDir, spec.name, latest, summary, spec);
  return {
    outDir,
    spec,
    results: latest,
    summary,
    ran,
    skipped: latest.length - ran,
    files: { results: resultsPath, summary: summaryPath, report: report?.html ?? null, plots: report?.plots ?? [] },
  };
}

/**
 * A directory that already has results is only reused with resume, and only for the same spec,
 * so nothing already written is lost or mixed with another experiment's runs.
 */
async function checkOutputDir(
  outDir: string,
  resultsPath: string,
  spec: ExperimentSpec,
  resume: boolean,
): Promise<RunResult[]> {
  const { results, skippedLines } = await readResults(resultsPath);
  if (results.length === 0 && skippedLines.length === 0) return [];
  if (!resume) {
    throw new Error(
      `${outDir} already holds ${results.length} runs in results.jsonl; pass --resume to continue that experiment or choose another --out`,
    );
  }
  const specPath = join(outDir, 'spec.json');
  if (existsSync(specPath)) {
    const previous = JSON.parse(await readFile(specPath, 'utf8')) as unknown;
    const differences = specDifferences(previous, spec);
    if (differences.length > 0) {
      throw new Error(
        `${specPath} describes a different experiment than this one; resume with the same options, or choose another --out:\n${describeDifferences(differences)}`,
      );
    }
  }
  return results;
}

function describeResult(r: RunResult): string {
  if (r.status === 'failed') return `${r.id}: failed: ${r.error}`;
  const acc = r.test?.accuracy;
  const accuracy = acc === null || acc === undefined ? '-' : `${(100 * acc).toFixed(2)}%`;
  return `${r.id}: test accuracy ${accuracy}, ${r.budget ? describeBudget(r.budget) : ''}`;
}
