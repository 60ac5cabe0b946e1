/**
 * The column (im2col) layout that turns a channels-last convolution gradient into one matrix
 * product. An index k = (r * filterWidth + c) * inChannels + i names a filter tap and input channel,
 * in the filter's own [r, c, i, o] order; an index m = (b * outHeight + oy) * outWidth + ox names an
 * output position. The tap (r, c) of position (b, oy, ox) reads the input at y = oy * strideHeight
 * + r - padTop, x = ox * strideWidth + c - padLeft, or padding (zero) outside. Owns both directions:
 * gathering the input into columns colsT [K, M], and scatter-adding columns cols [M, K] back into
 * an input-shaped gradient. Heap handling is the kernels'.
 */
import * as tf from '@tensorflow/tfjs';

type ConvInfo = tf.backend_util.Conv2DInfo;
type Values = tf.TypedArray | Uint8Array;

/** The output columns ox whose tap in filter column c lands inside the input: [first, end). */
function validColumns(info: ConvInfo, c: number): [number, number] {
  const shift = c - info.padInfo.left;
  const first = Math.min(info.outWidth, Math.max(0, Math.ceil(-shift / info.strideWidth)));
  const end = Math.min(info.outWidth, Math.floor((info.inWidth - 1 - shift) / info.strideWidth) + 1);
  return [first, Math.max(first, end)];
}

/**
 * Writes the transposed columns colsT[k, m] = x at tap k of position m (0 in padding) for an NHWC
 * input `x`; `colsT` holds K * M values, K = filterHeight * filterWidth * inChannels, every one set.
 * Reads x a pixel (inChannels values) at a time and writes one row of colsT per channel.
 */
export function fillColumnsT(x: Values, colsT: Values, info: ConvInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const {
    strideHeight,
    strideWidth,
    padInfo: { top, left },
  } = info;
  const m = batchSize * outHeight * outWidth;
  const pixelStep = strideWidth * inChannels;
  for (let r = 0; r < filterHeight; r++) {
    for (let c = 0; c < filterWidth; c++) {
      const [first, end] = validColumns(info, c);
      const tapRow = (r * filterWidth + c) * inChannels * m;
      for (let b = 0, m0 = 0; b < batchSize; b++) {
        for (let oy = 0; oy < outHeight; oy++, m0 += outWidth) {
          const y = oy * strideHeight + r - top;
          const inside = y >= 0 && y < inHeight;
          for (let i = 0, row = tapRow + m0; i < inChannels; i++, row += m) {
            if (!inside) {
              for (let ox = 0; ox < outWidth; ox++) colsT[row + ox] = 0;
              continue;
            }
            for (let ox = 0; ox < first; ox++) colsT[row + ox] = 0;
            for (let ox = end; ox < outWidth; ox++) colsT[row + ox] = 0;
          }
          if (!inside) continue;
          let src = ((b * inHeight + y) * inWidth + first * strideWidth + c - left) * inChannels;
          for (let ox = first; ox < end; ox++, src += pixelStep) {
            for (let i = 0, dst = tapRow + m0 + ox; i < inChannels; i++, dst += m) colsT[dst] = x[src + i];
          }
        }
      }
    }
  }
}

/**
 * The adjoint of the gather: dx[b, y, x, i] += cols[m, k] for every position m and tap k inside the
 * input, where `cols` is [M, K] and `dx` an NHWC tensor the caller has zeroed. Tap by tap, so each
 * row of output positions adds into one run of input pixels.
 */
export function addColumns(cols: Values, dx: Values, info: ConvInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const {
    strideHeight,
    strideWidth,
    padInfo: { top, left },
  } = info;
  const k = filterHeight * filterWidth * inChannels;
  const pixelStep = strideWidth * inChannels;
  for (let r = 0; r < filterHeight; r++) {
    for (let c = 0; c < filterWidth; c++) {
      const [first, end] = validColumns(info, c);
      const tapOffset = (r * filterWidth + c) * inChannels;
      for (let b = 0; b < batchSize; b++) {
        for (let oy = 0; oy < outHeight; oy++) {
          const y = oy * strideHeight + r - top;
          if (y < 0 || y >= inHeight) continue;
          let src = ((b * outHeight + oy) * outWidth + first) * k + tapOffset;
          let dst = ((b * inHeight + y) * inWidth + first * strideWidth + c - left) * inChannels;
          for (let ox = first; ox < end; ox++, src += k, dst += pixelStep) {
            for (let i = 0; i < inChannels; i++) dx[dst + i] += cols[src + i];
          }
        }
      }
    }
  }
}
