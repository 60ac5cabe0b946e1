/**
 * A channels-last convolution's geometry as mat-mul.wat's convolution kernels take it, in their
 * parameter order: input height, width and channels, output height, width and channels, filter
 * height and width, strides, and the padding before the first row and column.
 */
import type * as tf from '@tensorflow/tfjs';

export type ConvGeometry = [
  inH: number,
  inW: number,
  inC: number,
  outH: number,
  outW: number,
  outC: number,
  fh: number,
  fw: number,
  sh: number,
  sw: number,
  top: number,
  left: number,
];

export function convGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return [
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}
