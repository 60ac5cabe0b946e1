/**
 * Loss and accuracy of a model on a whole data set in inference mode (BatchNorm uses its moving
 * statistics, dropout is off), in chunks so memory stays bounded, with one read at the end.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
import { countCorrect, meanLoss } from './objective';

export interface Evaluation {
  loss: number;
  /** Null for regression. */
  accuracy: number | null;
}

/** Evaluates `model` on `data`, `batchSize` samples at a time (default 1024). */
export async function evaluate(model: tf.LayersModel, data: Dataset, batchSize = 1024): Promise<Evaluation> {
  let sums = tf.zeros([2]);
  for (let start = 0; start < data.size; start += batchSize) {
    const size = Math.min(batchSize, data.size - start);
    const next = tf.tidy(() => {
      const x = tf.slice(data.x, start, size);
      const y = tf.slice(data.y, start, size);
      const outputs = model.predict(x) as tf.Tensor;
      const correct = data.task === 'classification' ? countCorrect(y, outputs) : tf.scalar(0);
      return tf.add(sums, tf.stack([tf.mul(meanLoss(data.task, y, outputs), size), correct]));
    });
    sums.dispose();
    sums = next;
  }
  const [lossSum, correct] = await sums.data();
  sums.dispose();
  return { loss: lossSum / data.size, accuracy: data.task === 'classification' ? correct / data.size : null };
}
