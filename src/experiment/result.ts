/**
 * What a finished cell leaves behind: the record written to results.jsonl and read by the summary,
 * the report and resume. Types only, so that every layer above the runner can read results without
 * importing the code that produced them.
 */
import type { History } from '../training';
import type { CellRecord } from './cells';
import type { Checkpoint } from './probes';

export interface RunTiming {
  firstEpochSeconds: number;
  /** Mean seconds of the epochs after the first (warm-up excluded); null with one epoch. */
  steadyEpochSeconds: number | null;
  totalSeconds: number;
  samplesPerSecond: number;
  updatesPerEpoch: number;
}

export interface RunResult {
  id: string;
  cell: CellRecord;
  status: 'ok' | 'failed';
  error?: string;
  model?: string;
  backend: string;
  history?: Pick<History, 'epochs' | 'updates' | 'updateLossEvery' | 'stopReason' | 'trainSize'>;
  test?: { loss: number; accuracy: number | null };
  timing?: RunTiming;
  memory?: { peakBytes: number; startTensors: number; endTensors: number };
  target?: { accuracy: number; reached: boolean; epoch: number | null; seconds: number | null; updates: number | null };
  checkpoints?: Checkpoint[];
}
