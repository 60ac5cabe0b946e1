/**
 * Conv2DBackpropFilter for the wasm backend, written in TypeScript: the gradient of conv2d with
 * respect to its filter, dW[r, c, i, o] = sum over (b, y, x) of input[b, y*s + r - pad, ...i] *
 * dy[b, y, x, ...o]. Shape and padding rules come from tf.backend_util.computeConv2DInfo,
 * registration from ./index.
 *
 * Channels-last (every Keras layer): dW[k, o] = sum over output positions m of cols[m, k] *
 * dy[m, o]. With batchlab's SIMD module, mat-mul.wat's convFilterGradSlots gathers the columns 256
 * positions at a time and adds their products into a fixed number of slots, split across the kernel
 * threads, which are then added up in order here (the same sum on any thread count). For short
 * filter rows (see readsInPlace) it reads the patches in place instead of gathering them, with the
 * same sums bit for bit, from a copy of the input with its padding made real where there is
 * padding. Without it,
 * one matrix product of the columns gathered by ./columns, through BatchMatMul.
 * Channels-first takes a direct loop: for each (batch, output pixel) the dy channel vector is
 * gathered into a contiguous buffer, then every filter tap that lands inside the input adds the
 * outer product x[inChannels] x dy[outChannels] to its slice of a Float64 accumulator. So does a
 * channels-last product that comes out with NaN or an infinity: taps in the padding add nothing in
 * the loop, as in tfjs' own kernels, where the product's zero columns turn an infinite dy into NaN.
 */
import * as tf from '@tensorflow/tfjs';
import { fillColumnsT } from './columns';
import { filterGradInfo } from '../filter-grad-info';
import { allFinite } from './finite';
import { ArrayBackend } from '../kernel-call';
import { batchMatMul, viewAs } from './mat-mul-call';
import { convGeometry } from './simd/conv-geometry';
import { SimdKernels, simdKernels } from './simd/instance';
import { FILTER_GRAD_SLOTS, convScratchFloats, paddedToTile } from './simd/threaded';

type ConvInfo = tf.backend_util.Conv2DInfo;

interface KernelArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: ArrayBackend;
  attrs: tf.Conv2DBackpropFilterAttrs;
}

/** Element strides of one activation tensor. */
interface ActivationStrides {
  batch: number;
  row: number;
  col: number;
  channel: number;
}

function activationStrides(info: ConvInfo, height: number, width: number, channels: number): ActivationStrides {
  return info.dataFormat === 'channelsLast'
    ? { batch: channels * height * width, row: width * channels, col: channels, channel: 1 }
    : { batch: channels * height * width, row: width, col: 1, channel: height * width };
}

function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter on wasm needs float32 x and dy, got ${x.dtype}, ${dy.dtype}`);
  }
  const info = filterGradInfo(x, attrs);
  if (info.dataFormat !== 'channelsLast') return byLoop(x, dy, info, backend);
  const simd = simdKernels(backend);
  const dW = simd ? bySlots(simd, x, dy, info, backend) : byMatMul(x, dy, info, backend);
  if (allFinite(backend.typedArrayFromHeap(dW))) return dW;
  // Some dy or x was not finite (every dy value reaches a whole column of dW): the loop redoes it
  // without the padding taps' 0 x Infinity.
  backend.disposeData(dW.dataId);
  return byLoop(x, dy, info, backend);
}

/** The slots of mat-mul.wat's convFilterGradSlots, added up in slot order into dW. */
function bySlots(
  simd: SimdKernels,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: ConvInfo,
  backend: ArrayBackend,
): tf.TensorInfo {
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const size = k * info.outChannels;
  // Each slot holds [K4, outChannels], K rounded up to the products' tile; its first K rows are dW's.
  const slotSize = paddedToTile(k) * info.outChannels;
  const dW = backend.makeOutput(info.filterShape, 'float32');
  const partials = backend.makeOutput([FILTER_GRAD_SLOTS * slotSize], 'float32');
  const cols = backend.makeOutput([convScratchFloats(k)], 'float32');
  const padded = readsInPlace(info) ? paddedShape(info) : null;
  // An input that no patch leaves (no padding) is read where it lies, without a copy.
  const copy = padded !== null && (padded[1] !== info.inHeight || padded[2] !== info.inWidth);
  const xp = copy ? backend.makeOutput(padded, 'float32') : null;
  try {
    // Addresses taken after the allocations, which may have grown the heap.
    const at = (tensor: tf.TensorInfo) => backend.typedArrayFromHeap(tensor).byteOffset;
    let geometry = convGeometry(info);
    if (xp && padded) {
      // Every patch inside the padded copy: the kernel reads each position's taps where they lie.
      const [, pH, pW] = padded;
      const { batchSize, inHeight, inWidth, inChannels, padInfo } = info;
      simd.padInput(at(x), at(xp), batchSize, inHeight, inWidth, inChannels, pH, pW, padInfo.top, padInfo.left);
      const [, , , outH, outW, outC, fh, fw, sh, sw] = geometry;
      geometry = [pH, pW, inChannels, outH, outW, outC, fh, fw, sh, sw, 0, 0];
    }
    simd.convFilterGradSlots(
      at(xp ?? x),
      at(dy),
      at(partials),
      at(cols),
      0,
      FILTER_GRAD_SLOTS,
      FILTER_GRAD_SLOTS,
      info.batchSize * info.outHeight * info.outWidth,
      ...geometry,
    );
    const slots = backend.typedArrayFromHeap(partials);
    const sum = backend.typedArrayFromHeap(dW);
    // float32 stores round each sum as wasm's f32.add would.
    sum.set(slots.subarray(0, size));
    for (let s = 1; s < FILTER_GRAD_SLOTS; s++) {
      for (let i = 0, j = s * slotSize; i < size; i++, j++) sum[i] += slots[j];
    }
    return dW;
  } finally {
    backend.disposeData(partials.dataId);
    backend.disposeData(cols.dataId);
    if (xp) backend.disposeData(xp.dataId);
  }
}

/**
 * Whether mat-mul.wat's convFilterGradSlots reads the patches in place (given an input that no
 * patch leaves): a filter row is a short run (below 8 floats, e.g. 3x3 on one channel), where
 * gathering costs as much as the products, and the output channels fill its 8-wide tiles (the same
 * rule as the kernel's own, which also checks that no patch meets padding).
 */
function readsInPlace(info: ConvInfo): boolean {
  return info.filterWidth * info.inChannels < 8 && info.outChannels > 0 && info.outChannels % 8 === 0;
}

/** The input with its padding made real: [batch, pH, pW, inChannels], every patch inside. */
function paddedShape(info: ConvInfo): [number, number, number, number] {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, padInfo } = info;
  const pH = Math.max(padInfo.top + inHeight, (outHeight - 1) * info.strideHeight + info.filterHeight);
  const pW = Math.max(padInfo.left + inWidth, (outWidth - 1) * info.strideWidth + info.filterWidth);
  return [batchSize, pH, pW, inChannels];
}

/** colsT [1, K, M] x dy [1, M, outChannels] = dW [1, K, outChannels], the filter's own layout. */
function byMatMul(x: tf.TensorInfo, dy: tf.TensorInfo, info: ConvInfo, backend: ArrayBackend): tf.TensorInfo {
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const colsT = backend.makeOutput([1, k, m], 'float32');
  try {
    // Views taken after the allocation, which may have grown (and detached) the heap.
    fillColumnsT(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(colsT), info);
    const dW = batchMatMul(backend, colsT, viewAs(dy, [1, m, info.outChannels]), false);
    return { ...dW, shape: info.filterShape };
  } finally {
    backend.disposeData(colsT.dataId);
  }
}

/** The direct loop, for either layout. */
function byLoop(x: tf.TensorInfo, dy: tf.TensorInfo, info: ConvInfo, backend: ArrayBackend): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const xs = activationStrides(info, inHeight, inWidth, inChannels);
  const ys = activationStrides(info, outHeight, outWidth, outChannels);

  // Allocate before taking heap views: malloc may grow the heap and detach earlier views.
  const out = backend.makeOutput(info.filterShape, 'float32');
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
