/**
 * `compare(spec)`: runs every cell of an experiment and leaves one output directory behind:
 * spec.json, results.jsonl (appended as each run ends), summary.csv, plots/ and report.html,
 * optionally TensorBoard event files, and cells/<run>/ (checkpoints of the runs in progress). With a
 * shard, runs only that shard's cells into a results file of its own, checked against the
 * directory's plan.json. Owns the order of work, resuming and the output files; training a cell is
 * run-cell.ts's job, drawing the report report.ts's.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { InputError } from '../data/input-error';
import { writeJsonAtomic } from '../io/atomic-write';
import type { Cell } from '../experiment/cells';
import { planExperiment } from '../experiment/plan';
import { appendResult, ensureTrailingNewline, finishedIds, readResults } from './results-file';
import { resultsOfCells, writeOutputs } from './outputs';
import { PLAN_FILE, planFile, writePlanFile } from './plan-file';
import { Shard, allResults, cellsOfShard, describeShard, shardResultsPath } from './shard';
import { RunResult, describeBudget } from '../experiment/result';
import { stopWhenAborted } from './runners';
import { BACKENDS_FILE, lanesOf, probeListed } from './backend-factor';
import { PoolInterrupted, runPool } from './pool';
import { CompareInterrupted } from './outcome';
import { describeDifferences, specDifferences } from './spec-diff';
import { disposeExperimentData, prepareExperiment } from '../experiment/setup';
import { SpecDataError, specProblems } from '../experiment/feasibility';
import { checkCellCheckpoints } from './checkpoint-check';
import { ExperimentSpec, ExperimentSpecInput, resolveSpec } from '../experiment/spec';
import { SummaryRow, summarize } from '../report/summary';
import { writeRunEvents } from './tensorboard-run';
import { CELLS_DIR, cellCheckpointing, checkpointsToResume, describeResumption } from './cell-dirs';
import type { Callback } from '../training';
import type { BackendProbe } from '../backend';
import { availableCores, checkThreads, defaultThreads } from '../backend';

export interface CompareOptions {
  /** Output directory. Default: runs/compare-<time>. */
  outDir?: string;
  /** Skip cells already finished in outDir's results.jsonl (failed cells run again). Default: false. */
  resume?: boolean;
  /** Worker processes running cells in parallel. Default: 1 (in this process). */
  jobs?: number;
  /**
   * Threads each run's wasm backend computes with. Default: the cores this process may use shared
   * among the jobs (jobs x threads never more than the cores).
   */
  threads?: number;
  /**
   * Checkpoint each run every n epochs into outDir/cells/<run>/, so that resume re-enters an
   * interrupted run from its last checkpoint instead of starting it over; a run's checkpoints are
   * removed once it is recorded. With resume, runs that have a checkpoint resume from it either way.
   * Default: none.
   */
  checkpointEvery?: number;
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
  /**
   * Run only this shard's cells (shard.ts), into outDir/shards/shard-<i>-of-<n>.jsonl, after checking
   * the spec and data against outDir/plan.json (written by the first shard when absent); summary
   * and report are left to merge(). Default: every cell, into outDir/results.jsonl.
   */
  shard?: Shard;
}

export interface CompareResult {
  outDir: string;
  spec: ExperimentSpec;
  /** One result per cell (of the shard, with one), earlier (resumed) ones included, in plan order. */
  results: RunResult[];
  summary: SummaryRow[];
  /** Runs made by this call (not skipped by resume). */
  ran: number;
  skipped: number;
  /** The listed backends' probes (which ran, on what device; which did not, and why); null without the factor. */
  backends: BackendProbe[] | null;
  /** summary and report are null for a shard. */
  files: { results: string; summary: string | null; report: string | null; plots: string[] };
}

export async function compare(
  specInput: ExperimentSpecInput | ExperimentSpec,
  options: CompareOptions = {},
): Promise<CompareResult> {
  const spec = resolveSpec(specInput);
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs must be a positive integer, got ${jobs}`);
  const threads = options.threads === undefined ? defaultThreads(jobs) : checkThreads(options.threads);
  const every = options.checkpointEvery;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) {
    throw new Error(`checkpointEvery must be a positive integer, got ${every}`);
  }
  const log = options.log ?? (() => undefined);
  const outDir = resolve(options.outDir ?? join('runs', `compare-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const shard = options.shard ?? null;
  const resultsPath = shard ? shardResultsPath(outDir, shard) : join(outDir, 'results.jsonl');
  const earlier = await checkOutputDir(outDir, resultsPath, spec, options.resume ?? false);
  // Backends that do not start here are reported and left out before anything loads or trains.
  const probes = spec.backends ? await probeListed(spec.backends, log) : null;
  const data = await prepareExperiment(spec, undefined, threads);
  const problems = specProblems(spec, data);
  if (problems.length > 0) {
    disposeExperimentData(data);
    throw new SpecDataError(problems);
  }
  let ran = 0;
  let mine: Cell[] = [];
  try {
    const plan = planExperiment(spec, data.train.size);
    // Shards, and any run into a directory planned for them, check the spec and data against plan.json.
    if (shard || existsSync(join(outDir, PLAN_FILE))) {
      await writePlanFile(outDir, await planFile(spec, plan, data), { onlyIfAbsent: true });
    }
    // Resuming skips cells finished anywhere in the directory, by any shard.
    const done = finishedIds(options.resume ? await allResults(outDir) : earlier);
    mine = shard ? cellsOfShard(plan.cells, shard) : plan.cells;
    const todo = mine.filter((c) => !done.has(c.id));
    const resumable = await checkpointsToResume(outDir, todo);
    // A run's checkpoint of another configuration refuses the experiment before anything trains.
    const interrupted = todo.filter((c) => resumable.has(c.id));
    await checkCellCheckpoints(outDir, interrupted, data, plan.settings);
    const checkpointing = (cell: Cell) =>
      every !== undefined || options.resume ? { checkpoint: cellCheckpointing(outDir, cell, every) } : {};
    const lanes = lanesOf(spec, todo, probes, data, jobs, threads);
    const runs = lanes.reduce((n, lane) => n + lane.cells.length, 0);
    const share = shard ? `shard ${describeShard(shard)}: ${mine.length} of ${plan.cells.length} runs` : null;
    const notHere = todo.length - runs > 0 ? `, ${todo.length - runs} on backends not run here` : '';
    const on = probes ? `backends ${lanes.map((l) => l.backend).join(', ')}` : `backend ${data.backend.name}`;
    log(
      `${spec.name}: ${share ?? `${plan.cells.length} runs`} (${mine.length - todo.length} already done${notHere}), ${data.description}, ${on}`,
    );
    log(describeResources(jobs, threads));
    await writeJsonAtomic(join(outDir, 'spec.json'), spec);
    if (probes) await writeJsonAtomic(join(outDir, BACKENDS_FILE), probes);
    await ensureTrailingNewline(resultsPath);
    const signal = options.signal;
    const callbacks = (): Callback[] => [
      ...(signal ? [stopWhenAborted(signal)] : []),
      ...(options.callbacks?.() ?? []),
    ];
    // Lanes (backends) one after another: each backend's timings are taken without the others running.
    for (const lane of lanes) {
      await runPool({
        cells: lane.cells,
        slots: lane.inProcess ? 1 : Math.min(jobs, Math.max(lane.cells.length, 1)),
        start: lane.start,
        settings: (cell) => ({
          ...plan.settings,
          ...checkpointing(cell),
          ...(lane.inProcess ? { callbacks: callbacks() } : {}),
        }),
        onResult: async (made) => {
          // Timings depend on how many runs shared the machine; the summary says so when it was more than one.
          const result = { ...made, jobs };
          await appendResult(resultsPath, result);
          await rm(cellCheckpointing(outDir, result.id).dir, { recursive: true, force: true });
          if (options.tensorboard) await writeRunEvents(join(outDir, 'tensorboard'), result);
          ran++;
          log(`[${ran}/${runs}] ${describeResult(result)}`);
        },
        onStart: (cell, runner) =>
          log(`running ${cell.id}${lane.inProcess ? '' : ` on ${runner}`}${describeResumption(resumable, cell)}`),
        log,
        signal,
        backend: lane.backend,
      });
    }
  } catch (error) {
    if (!(error instanceof PoolInterrupted)) throw error;
    const finished = finishedIds(await allResults(outDir));
    throw new CompareInterrupted(outDir, mine.filter((c) => finished.has(c.id)).length, mine.length);
  } finally {
    disposeExperimentData(data);
  }
  return { ...(await finish(outDir, spec, mine, resultsPath, ran, options)), backends: probes };
}

/**
 * Sums up the cells this call was for. A local run writes summary.csv and the report over every
 * result in the directory; a shard writes nothing more (merging the shards does), and reports the
 * results in its own file.
 */
async function finish(
  outDir: string,
  spec: ExperimentSpec,
  cells: Cell[],
  resultsPath: string,
  ran: number,
  options: CompareOptions,
): Promise<Omit<CompareResult, 'backends'>> {
  const ids = cells.map((c) => c.id);
  if (options.shard) {
    const results = resultsOfCells((await readResults(resultsPath)).results, ids);
    const files = { results: resultsPath, summary: null, report: null, plots: [] };
    return { outDir, spec, results, summary: summarize(results), ran, skipped: results.length - ran, files };
  }
  const results = resultsOfCells(await allResults(outDir), ids);
  const { summary, files } = await writeOutputs(outDir, spec, results, { report: options.report !== false });
  return {
    outDir,
    spec,
    results,
    summary,
    ran,
    skipped: results.length - ran,
    files: { results: resultsPath, ...files },
  };
}

/**
 * A directory that already has results, or checkpoints of runs in progress, is only reused with
 * resume, and only for the same spec, so nothing already written is lost or mixed with another
 * experiment's runs.
 */
async function checkOutputDir(
  outDir: string,
  resultsPath: string,
  spec: ExperimentSpec,
  resume: boolean,
): Promise<RunResult[]> {
  const { results, skippedLines } = await readResults(resultsPath);
  if (!resume && existsSync(join(outDir, CELLS_DIR))) {
    throw new InputError(
      `${outDir} holds checkpoints of interrupted runs in ${CELLS_DIR}/; pass --resume to continue that experiment or choose another --out`,
    );
  }
  if (results.length === 0 && skippedLines.length === 0) return [];
  if (!resume) {
    throw new InputError(
      `${outDir} already holds ${results.length} runs in ${relative(outDir, resultsPath)}; pass --resume to continue that experiment or choose another --out`,
    );
  }
  const specPath = join(outDir, 'spec.json');
  if (existsSync(specPath)) {
    const previous = JSON.parse(await readFile(specPath, 'utf8')) as unknown;
    const differences = specDifferences(previous, spec);
    if (differences.length > 0) {
      throw new InputError(
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

/** How the runs share the cores, with a warning when they ask for more than there are. */
function describeResources(jobs: number, threads: number): string {
  const { cores, limitedBy } = availableCores();
  const each = `${jobs} job${jobs === 1 ? '' : 's'} x ${threads} thread${threads === 1 ? '' : 's'} (wasm)`;
  const over = jobs * threads > cores ? ': more than the cores, so runs wait for each other and timings suffer' : '';
  return `${each} on ${cores} core${cores === 1 ? '' : 's'} (by ${limitedBy})${over}`;
}
