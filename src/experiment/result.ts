/**
 * What a finished cell leaves behind: the record written to results.jsonl and read by the summary,
 * the report and resume. Types, and the one reading of older records (fields since renamed), so
 * that every layer above the runner can read results without importing the code that produced them.
 */
import type { BnAccumulation, EpochRecord, History } from '../training';
import type { Budget } from './budget';
import type { CellRecord } from './cells';
import type { Checkpoint } from './probes';

/**
 * One epoch as compare records it: the trainer's record with its held-out metrics named for what
 * compare holds out, the test set.
 */
export interface RunEpoch extends Omit<EpochRecord, 'valLoss' | 'valAccuracy'> {
  testLoss: number | null;
  testAccuracy: number | null;
}

/**
 * Training time only (test evaluation and probes excluded). Per-epoch, per-update and per-sample
 * figures share one basis: the epochs after the first (warm-up) when there are two or more, else the
 * first epoch (`basis` says which).
 */
export interface RunTiming {
  /** Which epochs the rates below are taken over. */
  basis: 'after the first epoch' | 'first epoch only';
  firstEpochSeconds: number;
  /** Mean seconds of the whole epochs (every update of the epoch made) on the basis; null if none. */
  epochSeconds: number | null;
  /** Seconds per update on the basis (partial epochs included). */
  updateSeconds: number;
  /** Samples per second on the basis. */
  samplesPerSecond: number;
  /** Seconds of training over all epochs: what a seconds budget counts. */
  trainingSeconds: number;
  updatesPerEpoch: number;
}

/** What the run was allowed and what it used, in the budget's own unit. */
export interface BudgetUse {
  kind: Budget['kind'];
  limit: number;
  used: number;
}

export interface RunMemory {
  /** Peak tensor bytes one update adds above data set, model and optimizer state (a probe update). */
  updatePeakBytes: number;
  /** Largest tensor bytes held between updates (sampled after each update): data, model, optimizer state. */
  residentBytes: number;
  /** The process's peak resident set size so far (every earlier cell of the same process included). */
  maxRssBytes: number;
  startTensors: number;
  endTensors: number;
}

export interface RunResult {
  id: string;
  cell: CellRecord;
  status: 'ok' | 'failed';
  error?: string;
  model?: string;
  backend: string;
  /** The process that trained it: one per backend when the experiment lists backends. Absent in older records. */
  pid?: number;
  history?: Pick<
    History,
    'updates' | 'updateLossEvery' | 'stopReason' | 'trainSize' | 'lrSchedule' | 'clipNorm' | 'clipValue'
  > & { epochs: RunEpoch[] };
  test?: { loss: number; accuracy: number | null };
  timing?: RunTiming;
  budget?: BudgetUse;
  memory?: RunMemory;
  /** Samples per update (the last batch of an epoch may be smaller). */
  batchSize?: number;
  /** Samples each BatchNorm normalisation sees in training (a ghost group, or the micro-batch, when smaller than the batch); null without BN. */
  bnBatch?: number | null;
  /** How BatchNorm met the micro-batches ('chunk'), present only for BN trained in micro-batches. */
  bnAccumulation?: BnAccumulation;
  /** Warnings the trainer gave (e.g. BN under gradient accumulation), which compare records instead of printing. */
  warnings?: string[];
  target?: { accuracy: number; reached: boolean; epoch: number | null; seconds: number | null; updates: number | null };
  checkpoints?: Checkpoint[];
  /** Runs made at once while this one ran (compare's jobs); absent in older records: 1. */
  jobs?: number;
  /** Threads the backend computed with (wasm: its thread pool); null where unknown, absent in older records. */
  threads?: number | null;
}

/** "3.0 s budget, 2.1 s used", "600-update budget, 600 used", "1-epoch budget, 1 used". */
export function describeBudget(b: BudgetUse): string {
  if (b.kind === 'seconds') return `${b.limit.toFixed(1)} s budget, ${b.used.toFixed(1)} s used`;
  return `${b.limit}-${b.kind.replace(/s$/, '')} budget, ${b.used} used`;
}

/**
 * A results.jsonl record as this version names its fields. Older files named the test metrics
 * valLoss/valAccuracy, the steady epoch time steadyEpochSeconds and the resident tensor bytes
 * peakBytes; figures they did not measure stay absent.
 */
export function upgradeResult(raw: RunResult): RunResult {
  const old = raw as RunResult & {
    timing?: { steadyEpochSeconds?: number | null; totalSeconds?: number };
    memory?: { peakBytes?: number };
  };
  const result = { ...raw };
  if (raw.history) {
    const epochs = raw.history.epochs.map((e) => {
      const before = e as RunEpoch & { valLoss?: number | null; valAccuracy?: number | null };
      if (before.testLoss !== undefined || before.valLoss === undefined) return e;
      const { valLoss, valAccuracy, ...rest } = before;
      return { ...rest, testLoss: valLoss, testAccuracy: valAccuracy ?? null };
    });
    result.history = { ...raw.history, epochs };
  }
  if (old.timing && old.timing.epochSeconds === undefined) {
    const { steadyEpochSeconds = null, totalSeconds = 0, ...rest } = old.timing;
    result.timing = { ...rest, epochSeconds: steadyEpochSeconds, trainingSeconds: totalSeconds };
  }
  if (old.memory && old.memory.residentBytes === undefined && old.memory.peakBytes !== undefined) {
    const { peakBytes, ...rest } = old.memory;
    result.memory = { ...rest, residentBytes: peakBytes };
  }
  return result;
}
