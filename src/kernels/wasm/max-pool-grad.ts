/**
 * MaxPoolGrad for wasm (NHWC, float32): each output window's dy goes to the window's arg-max
 * (the stock kernel takes about 50 ms for a 2x2 pool of [128,28,28,16]). Window geometry comes from
 * tf.backend_util.computePool2DInfo; other dtypes go to the stock kernel.
 *
 * Ties follow the cpu backend (pool_utils maxPoolPositions): the first pixel in row-major order
 * that is strictly greater than everything before it, so an all-zero window after ReLU routes to
 * its top-left pixel, and a window of NaN or -Infinity routes nowhere. When windows overlap
 * (stride < filter), gradients are summed in a Float64 buffer in the cpu backend's order (output
 * row, then column), then rounded once, so results equal cpu's bit for bit.
 *
 * Speed (about 3x the straightforward scan): the arg-max compares int32 keys made from the float32
 * bits and selects with masks, not branches, since `if (v > best)` on activations mispredicts about
 * half the time; a full 2x2 window, the common CNN pool, is an unrolled tournament. NaN and
 * all -Infinity windows, which keys cannot settle, go to the exact scan. dy is added into dx inside
 * the same loop: a separate positions pass and scatter measured slower. A 2x2 pool with stride 2
 * and channels in fours, the common CNN pool, goes to batchlab's SIMD kernel (./simd), which keeps
 * the same rule four channels at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelCall, asKernelFunc, callOriginal } from '../kernel-call';
import { isPlain2x2, poolGeometry, poolInfo } from './plain-pool';
import { simdKernels } from './simd/instance';

type Inputs = { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };

/** The input as floats (for the exact scan) and as bits (for keys): two views of the same heap bytes. */
type PixelViews = { values: Float32Array; bits: Int32Array };

/** Keys of -Infinity and +Infinity; a window whose best key is outside (NEG_INF_KEY, POS_INF_KEY] holds NaN or only -Infinity. */
const NEG_INF_KEY = -0x7f800000;
const POS_INF_KEY = 0x7f800000;

export function argMaxPoolGrad(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<Inputs>): tf.TensorInfo => {
    const { dy, input } = call.inputs;
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || tf.util.sizeFromShape(input.shape) === 0) {
      return callOriginal(original, call);
    }
    const info = poolInfo(input.shape, call.attrs as unknown as tf.MaxPoolGradAttrs);
    // Allocate before taking heap views: malloc may grow the heap and detach earlier views.
    const out = call.backend.makeOutput(input.shape, 'float32');
    const dx = call.backend.typedArrayFromHeap(out) as Float32Array;
    const x = call.backend.typedArrayFromHeap(input) as Float32Array;
    const dyVals = call.backend.typedArrayFromHeap(dy) as Float32Array;
    if (isPlain2x2(info)) {
      const simd = simdKernels(call.backend);
      if (simd) {
        simd.maxPoolGrad2x2(x.byteOffset, dyVals.byteOffset, dx.byteOffset, ...poolGeometry(info));
        return out;
      }
    }
    const views = { values: x, bits: new Int32Array(x.buffer, x.byteOffset, x.length) };
    const overlapping = info.strideHeight < info.effectiveFilterHeight || info.strideWidth < info.effectiveFilterWidth;
    if (overlapping) {
      const acc = new Float64Array(dx.length);
      routeToArgMax(info, views, dyVals, acc);
      dx.set(acc);
    } else {
      dx.fill(0);
      routeToArgMax(info, views, dyVals, dx);
    }
    return out;
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}

/**
 * Adds dy of every output window to `dx` (zeroed) at the window's arg-max, per channel. Additions
 * reach each element in increasing (output row, output column) order, as in the cpu backend.
 */
function routeToArgMax(
  info: tf.backend_util.Conv2DInfo,
  x: PixelViews,
  dy: Float32Array,
  dx: Float32Array | Float64Array,
): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: filterHeight, effectiveFilterWidth: filterWidth } = info;
  const { top, left } = info.padInfo;
  const rowStride = inWidth * channels;
  const full = windowOffsets(filterHeight, filterWidth, channels, rowStride);
  const clipped = new Int32Array(full.length);
  const twoByTwo = filterHeight === 2 && filterWidth === 2;
  const { bits, values } = x;
  let dyAt = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const rMin = Math.max(0, yR * strideHeight - top);
      const rMax = Math.min(inHeight, yR * strideHeight - top + filterHeight);
      for (let yC = 0; yC < outWidth; yC++, dyAt += channels) {
        const cMin = Math.max(0, yC * strideWidth - left);
        const cMax = Math.min(inWidth, yC * strideWidth - left + filterWidth);
        // A window wholly in the padding has no arg-max, as in the cpu backend.
        if (rMax <= rMin || cMax <= cMin) continue;
        const first = ((b * inHeight + rMin) * inWidth + cMin) * channels;
        const isFull = rMax - rMin === filterHeight && cMax - cMin === filterWidth;
        if (isFull && twoByTwo) {
          for (let d = 0; d < channels; d++) {
            const at = argMax2x2(bits, values, first + d, channels, rowStride, full);
            if (at >= 0) dx[at] += dy[dyAt + d];
          }
          continue;
        }
        const offsets = isFull ? full : clipOffsets(clipped, rMax - rMin, cMax - cMin, channels, rowStride);
        const count = (rMax - rMin) * (cMax - cMin);
        for (let d = 0; d < channels; d++) {
          const at = windowArgMax(bits, values, first + d, offsets, count);
          if (at >= 0) dx[at] += dy[dyAt + d];
        }
      }
    }
  }
}

/** Offsets from a window's first pixel to each of its pixels, row-major: [0, C, W*C, W*C+C] for 2x2. */
function windowOffsets(height: number, width: number, channels: number, rowStride: number): Int32Array {
  return clipOffsets(new Int32Array(height * width), height, width, channels, rowStride);
}

/** Fills `into` with the offsets of a height x width window (a window cut by padding) and returns it. */
function clipOffsets(into: Int32Array, height: number, width: number, channels: number, rowStride: number): Int32Array {
  let k = 0;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) into[k++] = r * rowStride + c * channels;
  }
  return into;
}

/**
 * Maps float32 bits to an int32 ordered like the floats: magnitude, negated for negative numbers,
 * so -0 and +0 share key 0 (as 0 > -0 is false). NaNs land above +Infinity or below -Infinity.
 */
function orderKey(bits: number): number {
  const sign = bits >> 31;
  return ((bits & 0x7fffffff) ^ sign) - sign;
}

/**
 * -1 when `a > b`, else 0: a mask, so that selecting costs no branch. Written `0 - +(...)` because
 * `-(...)` yields -0 for false, which V8 keeps as a double (the kernel ran about 1.5x slower).
 */
function greaterMask(a: number, b: number): number {
  return 0 - +(a > b);
}

/**
 * The arg-max of the window starting at `first`: the first pixel of greatest key, which is cpu's
 * pixel whenever the best key is a number above -Infinity; otherwise (NaN, all -Infinity) the
 * exact scan decides.
 */
function windowArgMax(
  bits: Int32Array,
  values: Float32Array,
  first: number,
  offsets: Int32Array,
  count: number,
): number {
  let best = orderKey(bits[first]);
  let bestOffset = 0;
  for (let k = 1; k < count; k++) {
    const offset = offsets[k];
    const key = orderKey(bits[first + offset]);
    const take = greaterMask(key, best);
    best ^= (best ^ key) & take;
    bestOffset ^= (bestOffset ^ offset) & take;
  }
  return best > NEG_INF_KEY && best <= POS_INF_KEY ? first + bestOffset : exactArgMax(values, first, offsets, count);
}

/**
 * windowArgMax for a full 2x2 window, as a tournament: each row's first maximum, then the lower
 * row's only if greater. `right` and `down` are the offsets of the next column and row, passed as
 * numbers with the two views: taking PixelViews and reading `offsets` instead measured twice as slow.
 */
function argMax2x2(
  bits: Int32Array,
  values: Float32Array,
  first: number,
  right: number,
  down: number,
  offsets: Int32Array,
): number {
  const k0 = orderKey(bits[first]);
  const k1 = orderKey(bits[first + right]);
  const k2 = orderKey(bits[first + down]);
  const k3 = orderKey(bits[first + down + right]);
  const topRight = greaterMask(k1, k0);
  const bottomRight = greaterMask(k3, k2);
  const topBest = k0 ^ ((k0 ^ k1) & topRight);
  const bottomBest = k2 ^ ((k2 ^ k3) & bottomRight);
  const bottom = greaterMask(bottomBest, topBest);
  const best = topBest ^ ((topBest ^ bottomBest) & bottom);
  if (best <= NEG_INF_KEY || best > POS_INF_KEY) return exactArgMax(values, first, offsets, 4);
  return first + (right & ((topRight & ~bottom) | (bottomRight & bottom))) + (down & bottom);
}

/** cpu's rule read literally: the first pixel strictly greater than all before it, -1 if none beats -Infinity. */
function exactArgMax(x: Float32Array, first: number, offsets: Int32Array, count: number): number {
  let best = Number.NEGATIVE_INFINITY;
  let bestAt = -1;
  for (let k = 0; k < count; k++) {
    const at = first + offsets[k];
    if (x[at] > best) {
      best = x[at];
      bestAt = at;
    }
  }
  return bestAt;
}
