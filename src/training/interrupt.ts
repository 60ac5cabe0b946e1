/**
 * Stopping a run from outside (an AbortSignal: Ctrl-C in the CLI) so that what is left is whole:
 * training stops at the next update, the epoch it cut short is left out of the history, and the
 * weights go back to where that epoch began. To have them, the weights are copied to host memory,
 * asynchronously, when training begins and at the end of each epoch (one read per weight per
 * epoch, never per update). The loop itself does not yield to the event loop between updates, so a
 * signal handler would wait for the whole run: this callback gives it a turn at each batch of
 * losses and each epoch's end, at most every 100 ms.
 */
import * as tf from '@tensorflow/tfjs';
import type { Callback, TrainControl } from './callbacks';
import type { StopReason } from './history';

interface Snapshot {
  /** Epochs finished when taken. */
  epochs: number;
  values: { shape: number[]; data: Float32Array | Int32Array | Uint8Array }[];
}

async function snapshot(model: tf.LayersModel, epochs: number): Promise<Snapshot> {
  const weights = model.getWeights();
  const data = await Promise.all(weights.map((w) => w.data()));
  return {
    epochs,
    values: weights.map((w, i) => ({ shape: w.shape, data: data[i] })),
  };
}

function restore(model: tf.LayersModel, saved: Snapshot): void {
  const tensors = saved.values.map((v) => tf.tensor(v.data, v.shape));
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

function afterEpoch(epochs: number): StopReason {
  return {
    kind: 'interrupted',
    message: `interrupted after epoch ${epochs}; the history and the model are those of it`,
  };
}

/** Stops training soon after `signal` aborts, keeping only finished epochs in history and weights. */
export function rollBackOnAbort(model: tf.LayersModel, signal: AbortSignal): Callback {
  let saved: Snapshot | null = null;
  let epoch = 0;
  let step = 0;
  let stepsInEpoch = 0;
  let cut = false;
  let last = performance.now();
  const stopMidEpoch = (control: TrainControl): void => {
    if (!signal.aborted || control.stopReason) return;
    // The last update of an epoch finishes it: nothing is cut.
    if (step === stepsInEpoch) return control.stop(afterEpoch(epoch + 1));
    cut = true;
    const kept = epoch === 0 ? 'the initial weights' : `the weights after epoch ${epoch}`;
    control.stop({
      kind: 'interrupted',
      message:
        `interrupted during epoch ${epoch + 1} (after ${step} of ${stepsInEpoch} updates); ` +
        `the history keeps the ${epoch} finished epoch${epoch === 1 ? '' : 's'}, the model ${kept}`,
    });
  };
  const yieldNow = async (): Promise<void> => {
    if (performance.now() - last < 100) return;
    await new Promise((resolve) => setImmediate(resolve));
    last = performance.now();
  };
  return {
    onTrainBegin: async () => {
      saved = await snapshot(model, 0);
    },
    onStep: (progress, control) => {
      ({ epoch, stepsInEpoch } = progress);
      step = progress.step + 1;
      stopMidEpoch(control);
    },
    onLosses: async (_records, control) => {
      await yieldNow();
      stopMidEpoch(control);
    },
    onEpochEnd: async (record, control) => {
      await yieldNow();
      if (signal.aborted) {
        control.stop(afterEpoch(record.epoch + 1));
      } else {
        saved = await snapshot(model, record.epoch + 1);
      }
    },
    onTrainEnd: (history) => {
      if (!cut || saved === null) return;
      const kept = saved.epochs;
      history.epochs = history.epochs.slice(0, kept);
      history.updates = history.updates.filter((u) => u.epoch < kept);
      restore(model, saved);
    },
  };
}
