/**
 * tfjs-layers' Dense, computing a bias-free linear layer (the one BatchNorm follows) with the plain
 * matMul op instead of the fused one. Under a gradient tape the fused op records a custom gradient
 * that computes the input gradient eagerly, even for the first layer, whose input is the data and
 * needs none: for a 784 -> 256 first layer that is the largest product of the backward pass, a
 * quarter of an MLP step's arithmetic. matMul's registered gradient computes only what
 * backpropagation asks for. Same weights, same saved form ('Dense'); every other configuration
 * (a bias, an activation, input of rank above 2) takes the stock call.
 */
import * as tf from '@tensorflow/tfjs';

type DenseArgs = Parameters<typeof tf.layers.dense>[0];

/** The stock layer's fields this class reads (they are not in tfjs' public types). */
interface StockFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { getClassName(): string } | null;
}

/** tfjs exports a factory, not the class; its instances' constructor is the class. */
const StockDense = tf.layers.dense({ units: 1 }).constructor as new (args: DenseArgs) => tf.layers.Layer;

class Dense extends StockDense {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] {
    const layer = this as unknown as StockFields;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const linear = layer.activation === null || layer.activation.getClassName() === 'linear';
    if (layer.bias !== null || !linear || x.rank !== 2) return super.call(inputs, kwargs);
    return tf.tidy(() => tf.matMul(x, layer.kernel.read()));
  }
}

/** A Dense layer, as tf.layers.dense(args), with the lazily differentiated bias-free path. */
export function dense(args: DenseArgs): tf.layers.Layer {
  return new Dense(args);
}
