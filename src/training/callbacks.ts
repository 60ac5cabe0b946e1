/**
 * Hooks into the training loop and the stock callbacks: early stopping, stop at a target accuracy,
 * stop on a non-finite loss. Callbacks see numbers the loop has already read; none of them makes
 * the loop read the device more often.
 */
import type { EpochRecord, History, StopReason, UpdateRecord } from './history';

export interface TrainControl {
  /** Ends training after the current step; the first reason given lands in History.stopReason. */
  stop(reason: StopReason): void;
  readonly stopReason: StopReason | null;
}

export interface TrainInfo {
  epochs: number;
  updatesPerEpoch: number;
  trainSize: number;
  strategy: string;
  model: string;
  /** Epochs trained before this call (a run resumed from a checkpoint), which callbacks may replay; else []. */
  completedEpochs: EpochRecord[];
}

export interface StepProgress {
  epoch: number;
  /** Step within the epoch, 0-based. */
  step: number;
  stepsInEpoch: number;
  /** Updates made so far in the whole run, this one included. */
  updates: number;
}

export interface Callback {
  onTrainBegin?(info: TrainInfo): void | Promise<void>;
  /** After every update; must stay cheap (no tensor reads). May stop training mid-epoch. */
  onStep?(progress: StepProgress, control: TrainControl): void;
  /** Sampled per-update losses, each time the loop reads a batch of them. */
  onLosses?(records: UpdateRecord[], control: TrainControl): void | Promise<void>;
  onEpochEnd?(record: EpochRecord, control: TrainControl): void | Promise<void>;
  onTrainEnd?(history: History): void | Promise<void>;
}

/** Stops at the first NaN or infinite loss, naming the epoch and step where it was seen. */
export function stopOnNonFinite(): Callback {
  const check = (loss: number, where: string, control: TrainControl): void => {
    if (!Number.isFinite(loss) && control.stopReason === null)
      control.stop({ kind: 'non-finite-loss', message: `loss became ${loss} at ${where}` });
  };
  return {
    onLosses: (records, control) => {
      for (const r of records)
        check(r.loss, `epoch ${r.epoch + 1}, step ${r.step + 1} (update ${r.update + 1})`, control);
    },
    onEpochEnd: (record, control) => check(record.loss, `epoch ${record.epoch + 1} (epoch mean)`, control),
  };
}

export type Monitor = 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy';

export interface EarlyStoppingOptions {
  /** Metric to watch. Default: 'valLoss'. */
  monitor?: Monitor;
  /** Epochs without improvement before stopping. Default: 3. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default: 0. */
  minDelta?: number;
}

/** Stops when `monitor` has not improved for `patience` epochs (lower is better for losses). */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback {
  const { monitor = 'valLoss', patience = 3, minDelta = 0 } = options;
  const sign = monitor.toLowerCase().includes('loss') ? -1 : 1;
  let best = -Infinity;
  let waited = 0;
  /** Takes in one epoch's record; true once `monitor` has not improved for `patience` epochs. */
  const exhausted = (record: EpochRecord): boolean => {
    const value = record[monitor];
    if (value === null) throw new Error(`earlyStopping: metric ${monitor} is not recorded in this run`);
    if (sign * value > best + minDelta) {
      best = sign * value;
      waited = 0;
    } else waited++;
    return waited >= patience;
  };
  return {
    // A resumed run's earlier epochs count as if this callback had seen them.
    onTrainBegin: (info) => info.completedEpochs.forEach(exhausted),
    onEpochEnd: (record, control) => {
      if (exhausted(record)) {
        control.stop({
          kind: 'early-stopping',
          message: `early stopping: ${monitor} did not improve for ${patience} epochs`,
        });
      }
    },
  };
}

/** Stops once `monitor` (default: valAccuracy, else accuracy) reaches `target`. */
export function stopAtAccuracy(target: number, monitor?: 'accuracy' | 'valAccuracy'): Callback {
  if (!(target > 0 && target <= 1)) throw new Error(`target accuracy must be in (0, 1], got ${target}`);
  return {
    onEpochEnd: (record, control) => {
      const key = monitor ?? (record.valAccuracy !== null ? 'valAccuracy' : 'accuracy');
      const value = record[key];
      if (value !== null && value >= target) {
        control.stop({
          kind: 'target-reached',
          message: `target reached: ${key} ${value.toFixed(4)} >= ${target} after epoch ${record.epoch + 1}`,
        });
      }
    },
  };
}
