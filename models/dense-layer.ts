/**
 * tfjs-layers' Dense, computing a rank-2 layer with a linear or ReLU activation from the plain ops
 * (matMul, then add the bias, then relu) instead of the fused matMul op. Under a gradient tape the
 * fused op records a custom gradient that computes the input gradient eagerly, even for the first
 * layer, whose input is the data and needs none: for a 784 -> 256 first layer that is the largest
 * product of the backward pass, a quarter of an MLP step's arithmetic. The plain ops' registered
 * gradients compute only what backpropagation asks for, and skip the fused op's reshapes to rank 3
 * and saved copies: at batch size 1, where a step is all dispatch overhead, an MLP update runs about
 * a quarter fewer kernels. Same arithmetic (the fused kernel also adds the bias to the finished
 * product, then applies the ReLU), same weights, same saved form ('Dense'); other activations and
 * input of rank above 2 take the stock call.
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
    const activation = layer.activation === null ? 'linear' : layer.activation.getClassName();
    if ((activation !== 'linear' && activation !== 'relu') || x.rank !== 2) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const product = tf.matMul(x, layer.kernel.read());
      const y = layer.bias === null ? product : tf.add(product, layer.bias.read());
      return activation === 'relu' ? tf.relu(y) : y;
    });
  }
}

/** What a layer made by `dense` computes on rank-2 input with the plain ops. */
export interface PlainDense {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  relu: boolean;
}

/**
 * The weights and activation of a layer made by `dense` whose call takes the plain ops (linear or
 * ReLU), or null for any other layer (whose arithmetic may differ, e.g. the stock fused matMul).
 */
export function plainDense(layer: tf.layers.Layer): PlainDense | null {
  if (!(layer instanceof Dense)) return null;
  const { kernel, bias, activation } = layer as unknown as StockFields;
  const name = activation === null ? 'linear' : activation.getClassName();
  return name === 'linear' || name === 'relu' ? { kernel, bias, relu: name === 'relu' } : null;
}

/** A Dense layer, as tf.layers.dense(args), with the lazily differentiated plain-op path. */
export function dense(args: DenseArgs): tf.layers.Layer {
  return new Dense(args);
}
