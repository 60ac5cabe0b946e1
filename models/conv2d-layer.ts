/**
 * tfjs-layers' Conv2D, computing a bias-free linear convolution (the one BatchNorm follows) with the
 * plain conv2d op instead of the fused one. Under a gradient tape the fused op records a custom
 * gradient that computes the input gradient eagerly, even for the first layer, whose input is the
 * data and needs none (about 7 ms per step of a batch-128 Fashion-MNIST CNN on wasm); conv2d's
 * registered gradient computes only what backpropagation asks for. Same kernel forward, same
 * weights, same saved form ('Conv2D'); every other configuration takes the stock call.
 */
import * as tf from '@tensorflow/tfjs';

type Conv2DArgs = Parameters<typeof tf.layers.conv2d>[0];

/** The stock layer's fields this class reads (they are not in tfjs' public types). */
interface StockFields {
  rank: number;
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { getClassName(): string } | null;
  strides: [number, number];
  padding: 'valid' | 'same';
  dataFormat: 'channelsFirst' | 'channelsLast';
  dilationRate: [number, number];
}

/** tfjs exports a factory, not the class; its instances' constructor is the class. */
const StockConv2D = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as new (
  args: Conv2DArgs,
) => tf.layers.Layer;

class Conv2D extends StockConv2D {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] {
    const layer = this as unknown as StockFields;
    const linear = layer.activation === null || layer.activation.getClassName() === 'linear';
    if (layer.rank !== 2 || layer.bias !== null || !linear || layer.dataFormat !== 'channelsLast')
      return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return tf.conv2d(x, layer.kernel.read() as tf.Tensor4D, layer.strides, layer.padding, 'NHWC', layer.dilationRate);
    });
  }
}

/** A Conv2D layer, as tf.layers.conv2d(args), with the lazily differentiated bias-free path. */
export function conv2d(args: Conv2DArgs): tf.layers.Layer {
  return new Conv2D(args);
}
