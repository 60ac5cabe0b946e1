/**
 * Keeps the device-side loss scalars of sampled updates and reads them in one asynchronous batch,
 * so the training loop never waits on the device per step; also keeps the epoch's running sums of
 * loss and correct predictions on the device until the epoch ends.
 */
import * as tf from '@tensorflow/tfjs';
import type { UpdateRecord } from './history';

/** What a sampled update records besides its loss: its learning rate and gradient norm, when known. */
export interface UpdateExtras {
  learningRate?: number;
  gradNorm?: tf.Scalar | null;
}

export class LossRecorder {
  private tensors: tf.Scalar[] = [];
  private norms: tf.Scalar[] = [];
  private meta: Omit<UpdateRecord, 'loss' | 'gradNorm'>[] = [];

  /** Records every `every`-th update's loss (by global update index). */
  constructor(readonly every: number) {}

  get pending(): number {
    return this.tensors.length;
  }

  /**
   * Takes a reference to `loss` (and the gradient norm) when this update is sampled; the caller
   * still owns them. A run records a norm for every sampled update or for none.
   */
  record(epoch: number, step: number, update: number, loss: tf.Scalar, extras: UpdateExtras = {}): void {
    if (update % this.every !== 0) return;
    this.tensors.push(tf.clone(loss));
    if (extras.gradNorm) this.norms.push(tf.clone(extras.gradNorm));
    const rate = extras.learningRate === undefined ? {} : { learningRate: extras.learningRate };
    this.meta.push({ epoch, step, update, ...rate });
  }

  /** Reads all pending losses (and norms) with one async download and releases them. */
  async read(): Promise<UpdateRecord[]> {
    if (this.tensors.length === 0) return [];
    const stacked = tf.stack([...this.tensors, ...this.norms]);
    tf.dispose([...this.tensors, ...this.norms]);
    const { meta, norms } = this;
    this.tensors = [];
    this.norms = [];
    this.meta = [];
    try {
      const values = await stacked.data();
      const n = meta.length;
      return meta.map((m, i) => ({ ...m, loss: values[i], ...(norms.length > 0 ? { gradNorm: values[n + i] } : {}) }));
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
