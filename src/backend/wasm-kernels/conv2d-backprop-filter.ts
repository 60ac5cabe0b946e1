/**
 * Conv2DBackpropFilter for the wasm backend, written in TypeScript: the gradient of conv2d with
 * respect to its filter, dW[r, c, i, o] = sum over (b, y, x) of input[b, y*s + r - pad, ...i] *
 * dy[b, y, x, ...o]. Owns the arithmetic and reads/writes the wasm heap directly; shape and padding
 * rules come from tf.backend_util.computeConv2DInfo, registration from ./index.
 *
 * Loop order: for each (batch, output pixel) the dy channel vector is gathered into a contiguous
 * buffer, then every filter tap that lands inside the input adds the outer product
 * x[inChannels] x dy[outChannels] to its slice of a Float64 accumulator, outChannels innermost.
 */
import * as tf from '@tensorflow/tfjs';

/** The two BackendWasm methods this kernel uses; the class itself is not part of the public API. */
interface WasmHeapBackend {
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

interface KernelArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: WasmHeapBackend;
  attrs: tf.Conv2DBackpropFilterAttrs;
}

/** Element strides of one 4-D activation tensor, whichever its data format. */
interface ActivationStrides {
  batch: number;
  row: number;
  col: number;
  channel: number;
}

function activationStrides(
  height: number,
  width: number,
  channels: number,
  channelsLast: boolean,
): ActivationStrides {
  return channelsLast
    ? { batch: height * width * channels, row: width * channels, col: channels, channel: 1 }
    : { batch: channels * height * width, row: width, col: 1, channel: height * width };
}

function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter on wasm needs float32 x and dy, got ${x.dtype}, ${dy.dtype}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const channelsLast = info.dataFormat === 'channelsLast';
  const xs = activationStrides(inHeight, inWidth, inChannels, channelsLast);
  const ys = activationStrides(outHeight, outWidth, outChannels, channelsLast);

  // Allocate before taking heap views: malloc may grow the heap and detach earlier views.
  const out = backend.makeOutput(filterShape, 'float32');
  const xVals = backend.typedArrayFromHeap(x);
  const dyVals = backend.typedArrayFromHeap(dy);
  const acc = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);
  const dyPixel = new Float64Array(outChannels);

  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const xR0 = yR * strideHeight - info.padInfo.top;
      const wRMin = Math.max(0, -xR0);
      const wRMax = Math.min(filterHeight, inHeight - xR0);
      for (let yC = 0; yC < outWidth; yC++) {
        const xC0 = yC * strideWidth - info.padInfo.left;
        const wCMin = Math.max(0, -xC0);
        const wCMax = Math.min(filterWidth, inWidth - xC0);
        const dyBase = b * ys.batch + yR * ys.row + yC * ys.col;
        for (let o = 0; o < outChannels; o++) dyPixel[o] = dyVals[dyBase + o * ys.channel];
        for (let wR = wRMin; wR < wRMax; wR++) {
          for (let wC = wCMin; wC < wCMax; wC++) {
            const xBase = b * xs.batch + (xR0 + wR) * xs.row + (xC0 + wC) * xs.col;
            let accBase = (wR * filterWidth + wC) * inChannels * outChannels;
            for (let i = 0; i < inChannels; i++, accBase += outChannels) {
              const xv = xVals[xBase + i * xs.channel];
              for (let o = 0; o < outChannels; o++) acc[accBase + o] += xv * dyPixel[o];
            }
          }
        }
      }
    }
  }
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
