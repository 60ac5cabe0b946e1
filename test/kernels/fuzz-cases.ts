// Random calls of the stock kernels that batchlab's wasm pack replaces or adds, one generator per
// kernel: the shapes, dtypes and attributes a user's code may pass, within what tfjs' ops accept.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/util/random';
import { DType, KernelCase, Operand, dim, int, operand, pick, shape } from '../helpers/fuzz';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** Specials in about a third of the cases, at one value in ten. */
const specialRate = (rng: Rng) => (rng() < 0.33 ? 0.1 : 0);

/**
 * Operands of a matrix product with up to `batchAxes` batch axes, broadcast or not. (tfjs-backend-wasm
 * 4.22's own _FusedMatMul gives wrong shapes for more than one batch axis; the pack leaves that as is.)
 */
function matMulShapes(
  rng: Rng,
  batchAxes = 2,
  zero = 0.08,
): { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean } {
  const [m, k, n] = [dim(rng, 5, zero), dim(rng, 5, zero), dim(rng, 5, zero)];
  const batch = shape(rng, int(rng, 0, batchAxes), 3);
  const broadcast = (d: number) => (rng() < 0.3 ? 1 : d);
  const batchA = batch.map(broadcast);
  const batchB = (rng() < 0.2 ? batch.slice(1) : batch).map(broadcast);
  const [transposeA, transposeB] = [rng() < 0.5, rng() < 0.5];
  return {
    a: [...batchA, ...(transposeA ? [k, m] : [m, k])],
    b: [...batchB, ...(transposeB ? [n, k] : [k, n])],
    transposeA,
    transposeB,
  };
}

function batchMatMul(rng: Rng, batchAxes = 2, zero = 0.08): KernelCase {
  const { a, b, transposeA, transposeB } = matMulShapes(rng, batchAxes, zero);
  const special = specialRate(rng);
  return {
    inputs: { a: operand(rng, a, 'float32', special), b: operand(rng, b, 'float32', special) },
    attrs: { transposeA, transposeB },
  };
}

function fusedMatMul(rng: Rng): KernelCase {
  // Rank 3, as tf.fused.matMul always calls the kernel.
  const c = batchMatMul(rng, 0, 0);
  const { a, b } = c.inputs;
  [a.shape, b.shape] = [
    [1, ...a.shape],
    [1, ...b.shape],
  ];
  const n = c.attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  // Unbatched and non-empty, linear or ReLU, with a [n] bias or none, as tf.layers' dense layers call it: batched
  // operands, other activations and biases go to tfjs-backend-wasm 4.22's own kernel, which throws
  // or reads out of bounds for some shapes (e.g. relu6 on [1,3] x [3,4], a [2,5,5] with b [2,5], an
  // inner dimension of 0);
  // the pack leaves those as they are.
  const activation = pick(rng, ['linear', 'relu']);
  const biasShape = pick(rng, [null, [n]]);
  if (biasShape) c.inputs.bias = operand(rng, biasShape);
  return { inputs: c.inputs, attrs: { ...c.attrs, activation, leakyreluAlpha: 0.2 } };
}

function gatherV2(rng: Rng): KernelCase {
  const dtype = pick<DType>(rng, ['float32', 'float32', 'int32', 'bool']);
  const xShape = shape(rng, int(rng, 1, 4));
  const axis = int(rng, 0, xShape.length - 1);
  // batchDims stays 0: tfjs-backend-wasm 4.22's own GatherV2 gives wrong values with batchDims 1.
  const batchDims = 0;
  const indexShape = [...xShape.slice(0, batchDims), ...shape(rng, int(rng, 0, 2))];
  const size = tf.util.sizeFromShape(indexShape);
  const indices = Array.from({ length: xShape[axis] === 0 ? 0 : size }, () => int(rng, 0, xShape[axis] - 1));
  return {
    inputs: {
      x: operand(rng, xShape, dtype, specialRate(rng)),
      indices: {
        values: indices,
        shape: xShape[axis] === 0 ? [...indexShape.slice(1), 0] : indexShape,
        dtype: 'int32',
      },
    },
    attrs: { axis: rng() < 0.3 ? axis - xShape.length : axis, batchDims },
  };
}

function tile(rng: Rng): KernelCase {
  const dtype = pick<DType>(rng, ['float32', 'float32', 'int32', 'bool']);
  const xShape = shape(rng, int(rng, 0, 4), 4);
  const reps = xShape.map(() => pick(rng, [0, 1, 1, 2, 3]));
  return { inputs: { x: operand(rng, xShape, dtype, specialRate(rng)) }, attrs: { reps } };
}

function reduction(rng: Rng): KernelCase {
  const dtype = pick<DType>(rng, ['float32', 'float32', 'float32', 'int32']);
  const xShape = shape(rng, int(rng, 0, 4));
  const rank = xShape.length;
  const axes = Array.from({ length: rank }, (_, i) => i).filter(() => rng() < 0.5);
  const leading = Array.from({ length: int(rng, 1, Math.max(1, rank)) }, (_, i) => i).filter((i) => i < rank);
  const chosen = pick(rng, ['subset', 'leading', 'leading', 'all', 'one']);
  const axis =
    chosen === 'all' || rank === 0
      ? null
      : chosen === 'one'
        ? int(rng, -rank, rank - 1)
        : (chosen === 'leading' ? leading : axes).map((a) => (rng() < 0.3 ? a - rank : a)).reverse();
  return { inputs: { x: operand(rng, xShape, dtype, specialRate(rng)) }, attrs: { axis, keepDims: rng() < 0.5 } };
}

function identity(rng: Rng): KernelCase {
  const dtype = pick<DType>(rng, ['float32', 'int32', 'bool']);
  return { inputs: { x: operand(rng, shape(rng, int(rng, 0, 4)), dtype, specialRate(rng)) }, attrs: {} };
}

/** Relu's case: float32 mostly (the pack's path), int32 (the stock kernel's); sizes past a SIMD lane and its tail. */
function relu(rng: Rng): KernelCase {
  const dtype = pick<DType>(rng, ['float32', 'float32', 'float32', 'int32']);
  return { inputs: { x: operand(rng, shape(rng, int(rng, 0, 4)), dtype, specialRate(rng)) }, attrs: {} };
}

function pad(rng: Rng): { pad: Pad; dimRoundingMode?: string } {
  const kind = pick(rng, ['valid', 'same', 'number', 'explicit']);
  if (kind === 'number') return { pad: int(rng, 0, 2), dimRoundingMode: pick(rng, ['floor', 'round', 'ceil']) };
  if (kind !== 'explicit') return { pad: kind as Pad };
  const side = () => int(rng, 0, 2);
  return {
    pad: [
      [0, 0],
      [side(), side()],
      [side(), side()],
      [0, 0],
    ],
  };
}

/** A convolution's geometry that tfjs accepts: x, filter, strides and padding, with its output shape. */
function convGeometry(rng: Rng, channelsFirst: boolean) {
  for (;;) {
    const [batch, height, width, inC, outC] = [dim(rng, 2), int(rng, 1, 7), int(rng, 1, 7), dim(rng, 4), dim(rng, 4)];
    const filter = [int(rng, 1, 3), int(rng, 1, 3), inC, outC] as [number, number, number, number];
    const strides: [number, number] = [int(rng, 1, 3), int(rng, 1, 3)];
    const p = pad(rng);
    if (channelsFirst && Array.isArray(p.pad)) continue;
    const xShape: [number, number, number, number] = channelsFirst
      ? [batch, inC, height, width]
      : [batch, height, width, inC];
    try {
      const info = tf.backend_util.computeConv2DInfo(
        xShape,
        filter,
        strides,
        1,
        p.pad,
        p.dimRoundingMode as 'floor',
        false,
        channelsFirst ? 'channelsFirst' : 'channelsLast',
      );
      if (info.outHeight <= 0 || info.outWidth <= 0) continue;
      const outShape = channelsFirst
        ? [batch, outC, info.outHeight, info.outWidth]
        : [batch, info.outHeight, info.outWidth, outC];
      const attrs = {
        strides,
        pad: p.pad,
        dimRoundingMode: p.dimRoundingMode,
        dataFormat: channelsFirst ? 'NCHW' : 'NHWC',
      };
      return { xShape, filter, outShape, attrs };
    } catch {
      continue;
    }
  }
}

/**
 * Conv2D's case. Those that go to the stock kernel (channels-first, or a filter with NaN or an
 * infinity) have no numeric pad: tfjs sizes such a convolution's width by the filter's height and
 * stride, and stock wasm's XNNPACK convolution then writes past its output and corrupts the heap
 * (stock wasm's limit, as with MaxPool below; the pack's own path follows tfjs' sizes).
 */
function conv2D(rng: Rng): KernelCase {
  for (;;) {
    const g = convGeometry(rng, rng() < 0.2);
    const special = specialRate(rng);
    const [x, filter] = [operand(rng, g.xShape, 'float32', special), operand(rng, g.filter, 'float32', special)];
    const toStock = g.attrs.dataFormat === 'NCHW' || !filter.values.every(Number.isFinite);
    if (toStock && typeof g.attrs.pad === 'number') continue;
    return { inputs: { x, filter }, attrs: { ...g.attrs, dilations: 1 } };
  }
}

/**
 * A convolution layer's call: a bias of one value per output channel (or none), and the activations
 * the pack takes (the fall-through tests send the others to the stock kernel, which on the
 * overhanging windows of some numeric pads reads past its input).
 */
function fusedConv2D(rng: Rng): KernelCase {
  const c = conv2D(rng);
  const outChannels = c.inputs.filter.shape[3];
  const bias: Record<string, Operand> =
    rng() < 0.8 ? { bias: operand(rng, [outChannels], 'float32', specialRate(rng)) } : {};
  const activation = pick(rng, ['linear', 'relu']);
  return { inputs: { ...c.inputs, ...bias }, attrs: { ...c.attrs, activation } };
}

function conv2DBackpropInput(rng: Rng): KernelCase {
  const g = convGeometry(rng, rng() < 0.2);
  const special = specialRate(rng);
  return {
    inputs: { dy: operand(rng, g.outShape, 'float32', special), filter: operand(rng, g.filter, 'float32', special) },
    attrs: { ...g.attrs, inputShape: g.xShape },
  };
}

function conv2DBackpropFilter(rng: Rng): KernelCase {
  const g = convGeometry(rng, rng() < 0.2);
  const special = specialRate(rng);
  return {
    inputs: { x: operand(rng, g.xShape, 'float32', special), dy: operand(rng, g.outShape, 'float32', special) },
    attrs: { ...g.attrs, filterShape: g.filter },
  };
}

/** Whether a numerically padded pool's last window reaches past the input and its padding. */
function overhangs(xShape: number[], info: tf.backend_util.Conv2DInfo, pad: Pad): boolean {
  if (typeof pad !== 'number') return false;
  const reach = (out: number, stride: number, filter: number) => (out - 1) * stride + filter;
  return (
    reach(info.outHeight, info.strideHeight, info.filterHeight) > xShape[1] + 2 * pad ||
    reach(info.outWidth, info.strideWidth, info.filterWidth) > xShape[2] + 2 * pad
  );
}

/**
 * A pool's geometry, x with few distinct values (so that windows hold ties) and attributes; half of
 * them the 2x2 pool with stride 2 and channels in fours that batchlab's SIMD kernels take.
 */
function poolCase(rng: Rng): { x: Operand; attrs: Record<string, unknown>; outShape: number[] } {
  for (;;) {
    const plain = rng() < 0.5;
    const channels = plain ? 4 * int(rng, 1, 3) : dim(rng, 5);
    const xShape = [dim(rng, 2), int(rng, 1, 7), int(rng, 1, 7), channels] as [number, number, number, number];
    const filterSize: [number, number] = plain ? [2, 2] : [int(rng, 1, 3), int(rng, 1, 3)];
    const strides: [number, number] = plain ? [2, 2] : [int(rng, 1, 3), int(rng, 1, 3)];
    const p: { pad: Pad; dimRoundingMode?: string } = plain ? { pad: 'valid' } : pad(rng);
    // tfjs sizes a numerically padded pool by its filter height and stride alone, and the stock wasm
    // MaxPool then writes out of bounds for other widths: square windows and strides there.
    if (typeof p.pad === 'number') [filterSize[1], strides[1]] = [filterSize[0], strides[0]];
    try {
      const info = tf.backend_util.computePool2DInfo(
        xShape,
        filterSize,
        strides,
        1,
        p.pad,
        p.dimRoundingMode as 'floor',
      );
      if (info.outHeight <= 0 || info.outWidth <= 0) continue;
      // With a numeric pad, 'round' or 'ceil' can add a last window that overhangs the padded input,
      // and tfjs-backend-wasm 4.22's own MaxPool (run here for the `output` input, with or without
      // batchlab) then writes out of bounds and corrupts the wasm heap: stock wasm's limit, not the
      // pack's, so such pools are left out.
      if (overhangs(xShape, info, p.pad)) continue;
      const x = operand(rng, xShape, 'float32', specialRate(rng));
      x.values = x.values.map((v) => (Number.isFinite(v) ? Math.round(v) : v));
      return {
        x,
        attrs: { filterSize, strides, ...p },
        outShape: [xShape[0], info.outHeight, info.outWidth, xShape[3]],
      };
    } catch {
      continue;
    }
  }
}

/** Whether some window of the pool lies wholly in the padding (reads no pixel). */
function hasEmptyWindow(info: tf.backend_util.Conv2DInfo): boolean {
  const empty = (out: number, stride: number, before: number, filter: number, size: number) =>
    Array.from({ length: out }, (_, o) => o * stride - before).some((start) => start + filter <= 0 || start >= size);
  return (
    empty(info.outHeight, info.strideHeight, info.padInfo.top, info.filterHeight, info.inHeight) ||
    empty(info.outWidth, info.strideWidth, info.padInfo.left, info.filterWidth, info.inWidth)
  );
}

/**
 * MaxPool's case. Where a window lies wholly in the padding, stock wasm's MaxPool gives no defined
 * value (cpu: -Infinity): stock wasm's limit, and never a pool the pack takes, so such pools are
 * left out here (MaxPoolGrad keeps them).
 */
function maxPool(rng: Rng): KernelCase {
  for (;;) {
    const { x, attrs } = poolCase(rng);
    const { filterSize, strides, pad: p, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs;
    const info = tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      p,
      dimRoundingMode,
    );
    if (!hasEmptyWindow(info)) return { inputs: { x }, attrs };
  }
}

/** MaxPoolGrad's case; its `output` input is derived per backend. */
function maxPoolGrad(rng: Rng): KernelCase {
  const { x, attrs, outShape } = poolCase(rng);
  return { inputs: { dy: operand(rng, outShape), input: x }, attrs };
}

/** |x| of a reduction's finite inputs: sums cancel, so their error is measured against these. */
const inputMagnitudes = (c: KernelCase) => c.inputs.x.values.filter(Number.isFinite).map(Math.abs);

/** max |a| x max |b| x inner length (finite values): products cancel too. */
function productMagnitude(c: KernelCase): number {
  const { a, b } = c.inputs;
  const max = (o: { values: number[] }) => Math.max(0, ...o.values.filter(Number.isFinite).map(Math.abs));
  const inner = a.shape[a.shape.length - (c.attrs.transposeA ? 2 : 1)];
  return Math.max(
    1e-30,
    max(a) * max(b) * inner,
    ...(c.inputs.bias?.values.filter(Number.isFinite).map(Math.abs) ?? []),
  );
}

/** MaxPoolGrad's `output` input, computed on the backend that runs the case. */
function maxPoolOutput(t: tf.NamedTensorMap, attrs: Record<string, unknown>): tf.NamedTensorMap {
  const { filterSize, strides, pad: p, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  return { output: tf.maxPool(t.input as tf.Tensor4D, filterSize, strides, p, dimRoundingMode) };
}

export interface OverrideFuzz {
  make: (rng: Rng) => KernelCase;
  /** The comparison's tolerance (0: equal bit for bit, see `difference`). */
  tolerance: number;
  /** The magnitude errors are measured against, where not the expected output's largest. */
  scale?: (c: KernelCase) => number;
  /** Inputs computed from the others by stock ops, on the backend that runs the case. */
  derive?: (t: tf.NamedTensorMap, attrs: Record<string, unknown>) => tf.NamedTensorMap;
}

export const overrideCases: Record<string, OverrideFuzz> = {
  BatchMatMul: { make: (rng) => batchMatMul(rng), tolerance: 1e-5, scale: productMagnitude },
  _FusedMatMul: { make: fusedMatMul, tolerance: 1e-5, scale: productMagnitude },
  GatherV2: { make: gatherV2, tolerance: 0 },
  Tile: { make: tile, tolerance: 0 },
  Sum: { make: reduction, tolerance: 1e-6, scale: (c) => inputMagnitudes(c).reduce((s, v) => s + v, 1e-30) },
  Mean: { make: reduction, tolerance: 1e-6, scale: (c) => Math.max(1e-30, ...inputMagnitudes(c)) },
  Identity: { make: identity, tolerance: 0 },
  Relu: { make: relu, tolerance: 0 },
  MaxPool: { make: maxPool, tolerance: 0 },
  MaxPoolGrad: { make: maxPoolGrad, tolerance: 0, derive: maxPoolOutput },
  Conv2D: { make: conv2D, tolerance: 1e-5 },
  FusedConv2D: { make: fusedConv2D, tolerance: 1e-5 },
  Conv2DBackpropInput: { make: conv2DBackpropInput, tolerance: 1e-5 },
  Conv2DBackpropFilter: { make: conv2DBackpropFilter, tolerance: 1e-5 },
};
