/**
 * tfjs-layers' BatchNormalization, with its training-mode call routed through the fused kernels of
 * src/ops/batch-norm-training.ts when the active backend has them (wasm or cpu, with batchlab's
 * kernel packs). The maths, the moving-average update, the weights and the saved form are the stock
 * layer's: the class keeps the name 'BatchNormalization', so a saved model loads in plain tfjs.
 * Inference, other axes, a layer without gamma or beta, and backends without the kernels take the
 * stock path.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, hasFusedBatchNormTraining, movingAverages } from '../src/ops/batch-norm-training';

type BatchNormArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;

/** The stock layer's fields this class reads (they are not in tfjs' public types). */
interface StockFields {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/** tfjs exports a factory, not the class; its instances' constructor is the class. */
const StockBatchNormalization = tf.layers.batchNormalization({}).constructor as new (
  args: BatchNormArgs,
) => tf.layers.Layer;

class BatchNormalization extends StockBatchNormalization {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const layer = this as unknown as StockFields;
    const lastAxis = layer.axis === -1 || layer.axis === x.rank - 1;
    const fused =
      kwargs.training === true &&
      lastAxis &&
      layer.gamma !== null &&
      layer.beta !== null &&
      x.dtype === 'float32' &&
      hasFusedBatchNormTraining();
    if (!fused) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(
        x,
        layer.gamma!.read() as tf.Tensor1D,
        layer.beta!.read() as tf.Tensor1D,
        layer.epsilon,
      );
      const moving = { mean: layer.movingMean.read(), variance: layer.movingVariance.read() };
      const [movingMean, movingVariance] = movingAverages(moving, { mean, variance }, layer.momentum);
      layer.movingMean.write(movingMean);
      layer.movingVariance.write(movingVariance);
      return y;
    });
  }
}

/** A BatchNormalization layer, as tf.layers.batchNormalization(args), with the fused training path. */
export function batchNormalization(args: BatchNormArgs = {}): tf.layers.Layer {
  return new BatchNormalization(args);
}
