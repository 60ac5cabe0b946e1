// Runs a few optimizer updates of a model on one fixed batch, for tests that compare two ways of
// training the same model: the weights afterwards and the kernels the first update ran.
import * as tf from '@tensorflow/tfjs';

export interface StepsRun {
  model: tf.LayersModel;
  x: tf.Tensor;
  /** One-hot labels, float32. */
  y: tf.Tensor;
  optimizer: tf.Optimizer;
}

export interface StepsResult {
  /** Every weight (moving statistics included) after the updates. */
  weights: Float32Array[];
  /** The kernels of the first update, in order. */
  kernels: string[];
}

/** `updates` updates with softmax cross-entropy; disposes the model, data and optimizer. */
export async function trainSteps({ model, x, y, optimizer }: StepsRun, updates = 3): Promise<StepsResult> {
  const step = () =>
    optimizer.minimize(() =>
      tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor),
    );
  try {
    const profile = await tf.profile(() => {
      step();
    });
    for (let i = 1; i < updates; i++) step();
    return {
      weights: model.getWeights().map((w) => w.dataSync() as Float32Array),
      kernels: profile.kernels.map((k) => k.name),
    };
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}
