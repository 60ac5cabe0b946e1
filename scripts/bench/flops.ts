/**
 * Floating-point operations of one training update per sample, counted from a model's layer
 * shapes, so that the bench can print achieved GFLOP/s beside the machine's measured peak.
 *
 * Counting rule: a dense layer with an [in, out] kernel does 2·in·out FLOPs forward per sample (a
 * multiply and an add per weight); a 2-D convolution with a [kh, kw, cin, cout] kernel does
 * 2·kh·kw·cin·cout per output pixel (outH·outW of them). Backward is twice the forward (the
 * gradient with respect to the input and with respect to the weights, each a product of the same
 * size), so training counts 3x the forward. Biases, activations, BatchNorm, pooling, the loss and
 * the optimizer are left out: they are linear in the activations or weights, not in their product,
 * and at these sizes a few per cent of the total. The first layer's input gradient, which batchlab
 * skips (its input is the data), is counted all the same: the rule is the model's nominal work, so
 * rows whose first layer dominates (the MLP: 28% of the count) read that much above the work done.
 */
import type * as tf from '@tensorflow/tfjs';

/** Forward FLOPs per sample of one layer from its kernel's shape (0 for a layer without one). */
export function layerForwardFlops(layer: tf.layers.Layer): number {
  const kernel = layer.getWeights(false).find((w) => w.shape.length === 2 || w.shape.length === 4);
  if (!kernel) return 0;
  if (kernel.shape.length === 2) return 2 * kernel.shape[0] * kernel.shape[1];
  const [kh, kw, cin, cout] = kernel.shape;
  // Output shape [batch, outH, outW, cout] (channels last, the only layout batchlab builds).
  const out = layer.outputShape as (number | null)[];
  const pixels = (out[1] ?? 0) * (out[2] ?? 0);
  return 2 * pixels * kh * kw * cin * cout;
}

/** Forward FLOPs per sample of the whole model. */
export function forwardFlops(model: tf.LayersModel): number {
  return model.layers.reduce((sum, layer) => sum + layerForwardFlops(layer), 0);
}

/** FLOPs per sample of one training update: forward plus a backward of twice the forward. */
export function trainingFlopsPerSample(model: tf.LayersModel): number {
  return 3 * forwardFlops(model);
}
