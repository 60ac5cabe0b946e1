/**
 * A pool's geometry, and the one batchlab's SIMD pool kernels take (max-pool.wat,
 * max-pool-grad.wat): a 2x2 window with stride 2, every window inside the input (no padding on any
 * side), channels in fours. Pure arithmetic on tfjs' pool info.
 */
import * as tf from '@tensorflow/tfjs';

/** tfjs' geometry of a pool over NHWC `shape` with MaxPool's (or MaxPoolGrad's) attributes. */
export function poolInfo(shape: number[], attrs: tf.MaxPoolAttrs): tf.backend_util.Conv2DInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
}

/** A 2x2 pool's geometry as the SIMD pool kernels take it: batch, input height, width, channels, output height, width. */
export type PoolGeometry = [batch: number, inH: number, inW: number, c: number, outH: number, outW: number];

export function poolGeometry(info: tf.backend_util.Conv2DInfo): PoolGeometry {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth];
}

export function isPlain2x2(info: tf.backend_util.Conv2DInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  return (
    filterHeight === 2 &&
    filterWidth === 2 &&
    strideHeight === 2 &&
    strideWidth === 2 &&
    dilationHeight === 1 &&
    dilationWidth === 1 &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    2 * info.outHeight <= info.inHeight &&
    2 * info.outWidth <= info.inWidth &&
    info.inChannels % 4 === 0
  );
}
