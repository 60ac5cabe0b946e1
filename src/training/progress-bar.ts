/**
 * Terminal progress for a training run: a bar per epoch (steps, rate, latest sampled loss) on an
 * interactive terminal, and a one-line summary per epoch everywhere. Writes to stderr so that
 * stdout stays clean for results.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Callback } from './callbacks';
import type { EpochRecord } from './history';

export function formatEpoch(r: EpochRecord, epochs: number): string {
  const pct = (v: number | null): string => (v === null ? '-' : `${(100 * v).toFixed(2)}%`);
  const val = r.valLoss === null ? '' : `  val_loss ${r.valLoss.toFixed(4)}  val_acc ${pct(r.valAccuracy)}`;
  const acc = r.accuracy === null ? '' : `  acc ${pct(r.accuracy)}`;
  return `epoch ${r.epoch + 1}/${epochs}  loss ${r.loss.toFixed(4)}${acc}${val}  ${r.updates} updates  ${r.seconds.toFixed(2)}s`;
}

export function progressBar(stream: NodeJS.WriteStream = process.stderr): Callback {
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
            format: `epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} steps | loss {loss} | {eta_formatted} left`,
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
      stream.write(`${formatEpoch(record, epochs)}\n`);
    },
    onTrainEnd: () => {
      bar?.stop();
      bar = null;
    },
  };
}
