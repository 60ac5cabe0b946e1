/**
 * Terminal progress for a training run: a bar per epoch (steps, rate, latest sampled loss) on an
 * interactive terminal, and a one-line summary per epoch everywhere. Writes to stderr so that
 * stdout stays clean for results.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Callback } from './callbacks';
import type { EpochRecord } from './history';

export interface ProgressOptions {
  /** Where to write. Default: process.stderr. */
  stream?: NodeJS.WriteStream;
  /** What the held-out metrics are, as the epoch line names them: `val` or `test`. Default: 'val'. */
  heldOut?: 'val' | 'test';
}

/** `epoch 2/5` for a known number of epochs, `epoch 2` when a budget other than epochs ends the run. */
function epochLabel(epoch: number, epochs: number): string {
  return Number.isSafeInteger(epochs) && epochs < Number.MAX_SAFE_INTEGER
    ? `epoch ${epoch}/${epochs}`
    : `epoch ${epoch}`;
}

export function formatEpoch(r: EpochRecord, epochs: number, heldOut: 'val' | 'test' = 'val'): string {
  const pct = (v: number | null): string => (v === null ? '-' : `${(100 * v).toFixed(2)}%`);
  const held =
    r.valLoss === null ? '' : `  ${heldOut}_loss ${r.valLoss.toFixed(4)}  ${heldOut}_acc ${pct(r.valAccuracy)}`;
  const acc = r.accuracy === null ? '' : `  acc ${pct(r.accuracy)}`;
  const updates = `${r.updates} update${r.updates === 1 ? '' : 's'}`;
  return `${epochLabel(r.epoch + 1, epochs)}  loss ${r.loss.toFixed(4)}${acc}${held}  ${updates}  ${r.seconds.toFixed(2)}s`;
}

export function progressBar(options: ProgressOptions = {}): Callback {
  const { stream = process.stderr, heldOut = 'val' } = options;
  let epochs = 0;
  let bar: SingleBar | null = null;
  let loss = '-';
  const interactive = Boolean(stream.isTTY);
  return {
    onTrainBegin: (info) => {
      epochs = info.epochs;
    },
    onStep: ({ epoch, step, stepsInEpoch }) => {
      if (!interactive) return;
      if (!bar) {
        bar = new SingleBar(
          {
            stream,
            format: `${epochLabel(epoch + 1, epochs)} [{bar}] {value}/{total} steps | loss {loss} | {eta_formatted} left`,
            fps: 5,
          },
          Presets.shades_classic,
        );
        bar.start(stepsInEpoch, 0, { loss });
      }
      bar.update(step + 1, { loss });
    },
    onLosses: (records) => {
      if (records.length > 0) loss = records[records.length - 1].loss.toFixed(4);
    },
    onEpochEnd: (record) => {
      bar?.stop();
      bar = null;
      stream.write(`${formatEpoch(record, epochs, heldOut)}\n`);
    },
    onTrainEnd: () => {
      bar?.stop();
      bar = null;
    },
  };
}
