/**
 * MaxPoolGrad for wasm (NHWC, float32): each output window's dy goes to the window's arg-max,
 * found per channel by a row-major scan of the window (the stock kernel takes about 50 ms for a
 * 2x2 pool of [128,28,28,16]). Window geometry comes from tf.backend_util.computePool2DInfo;
 * other dtypes go to the stock kernel.
 *
 * Ties follow the cpu backend (pool_utils maxPoolPositions): the first pixel in row-major order
 * that is strictly greater than everything before it, so an all-zero window after ReLU routes to
 * its top-left pixel, and a window of NaN or -Infinity routes nowhere. When windows overlap
 * (stride < filter), gradients are summed in a Float64 buffer in the cpu backend's order (output
 * row, then column), then rounded once, so results equal cpu's bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelCall, asKernelFunc } from './heap-backend';

type Inputs = { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };

export function argMaxPoolGrad(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<Inputs>): tf.TensorInfo => {
    const { dy, input } = call.inputs;
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || tf.util.sizeFromShape(input.shape) === 0) {
      return original.kernelFunc(call as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    const { filterSize, strides, pad, dimRoundingMode } = call.attrs as unknown as tf.MaxPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    // Allocate before taking heap views: malloc may grow the heap and detach earlier views.
    const out = call.backend.makeOutput(input.shape, 'float32');
    const dx = call.backend.typedArrayFromHeap(out) as Float32Array;
    const x = call.backend.typedArrayFromHeap(input) as Float32Array;
    const dyVals = call.backend.typedArrayFromHeap(dy) as Float32Array;
    const overlapping = info.strideHeight < info.effectiveFilterHeight || info.strideWidth < info.effectiveFilterWidth;
    const acc = overlapping ? new Float64Array(dx.length) : dx;
    acc.fill(0);
    routeToArgMax(info, x, dyVals, acc);
    if (overlapping) dx.set(acc);
    return out;
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}

/**
 * Adds dy of every output window to `dx` at the window's arg-max, per channel. `dx` must be zeroed;
 * additions reach each element in increasing (output row, output column) order.
 */
function routeToArgMax(
  info: tf.backend_util.Conv2DInfo,
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array | Float64Array,
): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, effectiveFilterHeight, effectiveFilterWidth } = info;
  const { top, left } = info.padInfo;
  const rowStride = inWidth * channels;
  let dyAt = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const rCorner = yR * strideHeight - top;
      const rMin = Math.max(0, rCorner);
      const rMax = Math.min(inHeight, rCorner + effectiveFilterHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const cCorner = yC * strideWidth - left;
        const cMin = Math.max(0, cCorner);
        const cMax = Math.min(inWidth, cCorner + effectiveFilterWidth);
        const windowStart = ((b * inHeight + rMin) * inWidth + cMin) * channels;
        for (let d = 0; d < channels; d++, dyAt++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestAt = -1;
          for (let r = rMin, rowAt = windowStart + d; r < rMax; r++, rowAt += rowStride) {
            for (let c = cMin, at = rowAt; c < cMax; c++, at += channels) {
              if (x[at] > best) {
                best = x[at];
                bestAt = at;
              }
            }
          }
          if (bestAt >= 0) dx[bestAt] += dy[dyAt];
        }
      }
    }
  }
}
