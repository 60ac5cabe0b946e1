/**
 * Conv2DBackpropInput for wasm, replacing the backend's own for channels-last float32 data: the
 * stock kernel is a direct C++ loop (about 180 ms for a 3x3, 16 -> 32 channel layer at batch 128).
 * Two ways to the same gradient, chosen per call by `flippedConvPadding`:
 * - stride 1, and not many more output than input channels: a forward convolution of dy with the
 *   flipped filter (./flipped-filter) through wasm's stock Conv2D (XNNPACK); 10 ms instead of 54
 *   for that 16 -> 32 layer;
 * - otherwise: one matrix product and a scatter, cols [1, M, K] = dy [1, M, outChannels] x W^T
 *   with the filter seen as W [1, K, outChannels], then every column adds into dx at its tap
 *   (./columns).
 * Channels-first data goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { addColumns } from './columns';
import { allFinite } from './finite';
import { flipFilter } from './flipped-filter';
import { ArrayBackend, KernelCall, asKernelFunc, callOriginal } from '../kernel-call';
import { batchMatMul, viewAs, wasmKernel } from './mat-mul-call';

type Inputs = { dy: tf.TensorInfo; filter: tf.TensorInfo };
type ConvInfo = tf.backend_util.Conv2DInfo;

/**
 * The flipped convolution is used only while outChannels <= MAX_OUT_PER_IN_CHANNEL * inChannels.
 * Measured (3x3 filters, batch 128, 14x14 and 28x28, 1 to 8 input and 8 to 64 output channels):
 * the flipped convolution's time barely changes from 1 to 8 input channels (its output
 * channels), while the matmul + scatter path's grows with them and shrinks with fewer output
 * channels; the two cross near 8 output channels per input channel. E.g. 1 -> 16 channels at
 * 28x28: matmul 8-14 ms, flipped 10-19 ms; 1 -> 8: 9-19 ms against 8-14 ms; 16 -> 32 at 14x14:
 * 39 ms against 13 ms.
 */
const MAX_OUT_PER_IN_CHANNEL = 8;

/**
 * The padding of the stride-1 forward convolution dy * W' whose output is exactly dx: before each
 * axis, the filter's reach minus the original padding (top' = fh - 1 - top, left' = fw - 1 - left);
 * after it, what makes the output dx's size (bottom' = inHeight - outHeight + top, which is
 * fh - 1 - bottom where the windows cover the input exactly, and more where rounding, or tfjs'
 * sizing of a numeric pad's width by the filter's height, leaves rows or columns no window reads:
 * their gradient is 0). Null when a side would be negative (original padding wider than the
 * filter, or a last window past the input), which Conv2D cannot express.
 */
function mirroredPadding(info: ConvInfo): tf.backend_util.ExplicitPadding | null {
  const { filterHeight, filterWidth, padInfo } = info;
  const top = filterHeight - 1 - padInfo.top;
  const bottom = info.inHeight - info.outHeight + padInfo.top;
  const left = filterWidth - 1 - padInfo.left;
  const right = info.inWidth - info.outWidth + padInfo.left;
  if (Math.min(top, bottom, left, right) < 0) return null;
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/**
 * The flipped convolution's padding where that path applies and is the faster one: stride 1 (a
 * strided gradient would need dy dilated with zeros first), padding Conv2D can express, and few
 * enough output channels per input channel (MAX_OUT_PER_IN_CHANNEL). Null means the matmul path.
 * (Conv2DBackpropInput has no dilations: its gradient is always of an undilated convolution.)
 */
function flippedConvPadding(info: ConvInfo): tf.backend_util.ExplicitPadding | null {
  const unitStride = info.strideHeight === 1 && info.strideWidth === 1;
  if (!unitStride || info.outChannels > MAX_OUT_PER_IN_CHANNEL * info.inChannels) return null;
  return mirroredPadding(info);
}

/**
 * dx = conv2d(dy, W') with the registered wasm Conv2D. W' is a temporary tensor, disposed before
 * returning. That is safe with Conv2D's XNNPACK operator cache (tfjs-backend-wasm 4.22,
 * cc/conv2d_impl.cc): operators are keyed by the filter's backend id, which BackendWasm never
 * reuses (a counter), and disposing the filter's data runs a callback that deletes its operators;
 * so each call builds (and frees) an operator for its own W', never a stale one at a reused address.
 */
function flippedConv(
  backend: ArrayBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  pad: tf.backend_util.ExplicitPadding,
): tf.TensorInfo {
  const conv2d = wasmKernel(tf.Conv2D);
  const [filterHeight, filterWidth, inChannels, outChannels] = filter.shape;
  const flipped = backend.makeOutput([filterHeight, filterWidth, outChannels, inChannels], 'float32');
  try {
    // Views taken after the allocation, which may have grown (and detached) the heap.
    flipFilter(backend.typedArrayFromHeap(filter), backend.typedArrayFromHeap(flipped), filter.shape);
    const attrs = { strides: 1, dilations: 1, pad, dataFormat: 'NHWC' };
    return callOriginal(conv2d, { inputs: { x: dy, filter: flipped }, backend, attrs });
  } finally {
    backend.disposeData(flipped.dataId);
  }
}

/** dx from dy x W^T (one BatchMatMul) and a col2im scatter-add; any stride and padding. */
function matMulScatter(backend: ArrayBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, info: ConvInfo): tf.TensorInfo {
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const cols = batchMatMul(
    backend,
    viewAs(dy, [1, m, info.outChannels]),
    viewAs(filter, [1, k, info.outChannels]),
    true,
  );
  try {
    const dx = backend.makeOutput(info.inShape, 'float32');
    // Views taken after the last allocation, which may have grown (and detached) the heap.
    const dxValues = backend.typedArrayFromHeap(dx);
    dxValues.fill(0);
    addColumns(backend.typedArrayFromHeap(cols), dxValues, info);
    return dx;
  } finally {
    backend.disposeData(cols.dataId);
  }
}

/** The override of `original` (./index registers it). */
export function fastConv2DBackpropInput(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<Inputs>): tf.TensorInfo => {
    const { dy, filter } = call.inputs;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
      call.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    if (info.dataFormat !== 'channelsLast' || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
      return callOriginal(original, call);
    }
    if (tf.util.sizeFromShape(dy.shape) === 0 || tf.util.sizeFromShape(filter.shape) === 0) {
      // An empty sum (no batch, pixels or channels): zeros, which XNNPACK would leave unwritten.
      const dx = call.backend.makeOutput(info.inShape, 'float32');
      call.backend.typedArrayFromHeap(dx).fill(0);
      return dx;
    }
    const flippedPad = flippedConvPadding(info);
    // The flipped convolution multiplies the filter by dy's zero padding too, where 0 x Infinity
    // would put a NaN the gradient (a sum over taps inside the input) does not have; and wasm's
    // Conv2D (XNNPACK, whose output clamp is a min/max) can turn a NaN of dy into -Infinity. A
    // non-finite filter, or a non-finite result, takes the matmul path.
    if (flippedPad && allFinite(call.backend.typedArrayFromHeap(filter))) {
      const dx = flippedConv(call.backend, dy, filter, flippedPad);
      if (allFinite(call.backend.typedArrayFromHeap(dx))) return dx;
      call.backend.disposeData(dx.dataId);
    }
    return matMulScatter(call.backend, dy, filter, info);
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}
