/**
 * Keeps the device-side loss scalars of sampled updates and reads them in one asynchronous batch,
 * so the training loop never waits on the device per step; also keeps the epoch's running sums of
 * loss and correct predictions on the device until the epoch ends.
 *
 * When asked to watch every update, it also keeps a reference to each unsampled update's loss until
 * the next read, which downloads them in the same batch: the first NaN or infinite loss is then known
 * exactly (epoch, step, update) at the cost of one cheap handle per step and no extra read.
 */
import * as tf from '@tensorflow/tfjs';
import type { UpdateRecord } from './history';

export interface LossReadout {
  /** The sampled updates' losses, in update order. */
  sampled: UpdateRecord[];
  /** The first update since the previous read whose loss was NaN or infinite, sampled or not. */
  firstNonFinite: UpdateRecord | null;
}

export class LossRecorder {
  private tensors: tf.Scalar[] = [];
  private meta: (Omit<UpdateRecord, 'loss'> & { sampled: boolean })[] = [];

  /**
   * Records every `every`-th update's loss (by global update index), and with `watchEvery` every
   * update's loss for the non-finite check.
   */
  constructor(
    readonly every: number,
    readonly watchEvery = false,
  ) {}

  /** Losses held for the next read (sampled or watched). */
  get pending(): number {
    return this.tensors.length;
  }

  /** Takes a reference to `loss` when this update is sampled or watched; the caller still owns `loss`. */
  record(epoch: number, step: number, update: number, loss: tf.Scalar): void {
    const sampled = update % this.every === 0;
    if (!sampled && !this.watchEvery) return;
    this.tensors.push(tf.clone(loss));
    this.meta.push({ epoch, step, update, sampled });
  }

  /** Reads all pending losses with one async download and releases them. */
  async read(): Promise<LossReadout> {
    if (this.tensors.length === 0) return { sampled: [], firstNonFinite: null };
    const stacked = tf.stack(this.tensors);
    tf.dispose(this.tensors);
    const meta = this.meta;
    this.tensors = [];
    this.meta = [];
    try {
      const values = await stacked.data();
      const records = meta.map(({ sampled, ...m }, i) => ({ record: { ...m, loss: values[i] }, sampled }));
      return {
        sampled: records.filter((r) => r.sampled).map((r) => r.record),
        firstNonFinite: records.find((r) => !Number.isFinite(r.record.loss))?.record ?? null,
      };
    } finally {
      stacked.dispose();
    }
  }
}

/** Running per-epoch sums of loss x batch size and correct predictions, kept on the device. */
export class EpochTotals {
  private lossSum = tf.scalar(0);
  private correctSum = tf.scalar(0);
  private samples = 0;

  add(loss: tf.Scalar, correct: tf.Scalar | null, batchSize: number): void {
    const lossSum = tf.tidy(() => tf.add<tf.Scalar>(this.lossSum, tf.mul(loss, batchSize)));
    this.lossSum.dispose();
    this.lossSum = lossSum;
    if (correct) {
      const correctSum = tf.add<tf.Scalar>(this.correctSum, correct);
      this.correctSum.dispose();
      this.correctSum = correctSum;
    }
    this.samples += batchSize;
  }

  /** Mean loss and accuracy of the epoch so far (one async read), and releases the sums. */
  async read(): Promise<{ loss: number; correct: number; samples: number }> {
    const both = tf.stack([this.lossSum, this.correctSum]);
    try {
      const [lossSum, correct] = await both.data();
      return { loss: lossSum / this.samples, correct, samples: this.samples };
    } finally {
      tf.dispose([both, this.lossSum, this.correctSum]);
    }
  }
}
