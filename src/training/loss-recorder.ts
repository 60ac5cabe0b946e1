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

/** What a sampled update records besides its loss: its learning rate and gradient norm, when known. */
export interface UpdateExtras {
  learningRate?: number;
  gradNorm?: tf.Scalar | null;
}

type Pending = Omit<UpdateRecord, 'loss' | 'gradNorm'> & { sampled: boolean; norm: number | null };

export class LossRecorder {
  private tensors: tf.Scalar[] = [];
  private norms: tf.Scalar[] = [];
  private meta: Pending[] = [];

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

  /**
   * Takes a reference to `loss` when this update is sampled or watched, and to the gradient norm when
   * it is sampled; the caller still owns them.
   */
  record(epoch: number, step: number, update: number, loss: tf.Scalar, extras: UpdateExtras = {}): void {
    const sampled = update % this.every === 0;
    if (!sampled && !this.watchEvery) return;
    this.tensors.push(tf.clone(loss));
    let norm: number | null = null;
    if (sampled && extras.gradNorm) {
      norm = this.norms.length;
      this.norms.push(tf.clone(extras.gradNorm));
    }
    const rate = sampled && extras.learningRate !== undefined ? { learningRate: extras.learningRate } : {};
    this.meta.push({ epoch, step, update, ...rate, sampled, norm });
  }

  /** Reads all pending losses (and norms) with one async download and releases them. */
  async read(): Promise<LossReadout> {
    if (this.tensors.length === 0) return { sampled: [], firstNonFinite: null };
    const all = [...this.tensors, ...this.norms];
    const stacked = tf.stack(all);
    tf.dispose(all);
    const meta = this.meta;
    const n = this.tensors.length;
    this.tensors = [];
    this.norms = [];
    this.meta = [];
    try {
      const values = await stacked.data();
      const records = meta.map(({ sampled, norm, ...m }, i) => ({
        record: { ...m, loss: values[i], ...(norm === null ? {} : { gradNorm: values[n + norm] }) },
        sampled,
      }));
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
