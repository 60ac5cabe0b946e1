/**
 * Conv2D and FusedConv2D for wasm, replacing the backend's own (XNNPACK, on one thread) for
 * channels-last float32 data with dilation 1: the output rows as products of gathered patches and
 * the filter, in blocks that stay in cache (mat-mul.wat's convRows), split across batchlab's kernel
 * threads by rows, so a convolution uses every thread (README: Threads), with bit-identical results
 * on any thread count. Where a filter row is a short run (fw x inC below 8 floats, a first layer on
 * one or two channels) and the output channels come in eights, convRows reads the input in place
 * instead of gathering it (except for groups of four positions that cross an output row or the
 * padding), with the same sums bit for bit. FusedConv2D (a convolution layer with a
 * bias, as tfjs-layers calls it) adds a per-channel bias and a linear or ReLU activation in the same
 * blocks. Conv2DBackpropInput's flipped
 * convolution runs through it too. Dilated or channels-first convolutions, other dtypes or
 * activations, other bias shapes, and a filter holding NaN or an infinity (the padding's zeros
 * would turn it into NaN where tfjs' loops skip the padding) go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { allFinite } from './finite';
import { ArrayBackend, KernelCall, asKernelFunc, callOriginal } from '../kernel-call';
import { convGeometry } from './simd/conv-geometry';
import { SimdKernels, simdKernels } from './simd/instance';
import { convScratchFloats } from './simd/threaded';

type Inputs = { x: tf.TensorInfo; filter: tf.TensorInfo };
type FusedInputs = Inputs & { bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };

/** What follows the sum: a bias of one value per output channel, and the activation. */
interface Epilogue {
  bias: tf.TensorInfo | null;
  relu: boolean;
}

/** The convolution with `epilogue` by convRows, or null where the stock kernel must run. */
function convolve(
  backend: ArrayBackend,
  inputs: Inputs,
  attrs: tf.Conv2DAttrs,
  epilogue: Epilogue,
): tf.TensorInfo | null {
  const { x, filter } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  const simd = simdKernels(backend);
  const undilated = dilations === undefined || [dilations].flat().every((d) => d === 1);
  if (!simd || !undilated || dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32') {
    return null;
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { bias } = epilogue;
  if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== info.outChannels)) return null;
  if (!allFinite(backend.typedArrayFromHeap(filter))) return null;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const out = backend.makeOutput(info.outShape, 'float32');
  if (m === 0 || k === 0 || info.outChannels === 0) {
    // An empty sum (no input channels) is 0, which XNNPACK would leave unwritten; or no output at all.
    const values = backend.typedArrayFromHeap(out);
    values.fill(0);
    if (bias) applyEpilogue(values, backend.typedArrayFromHeap(bias), epilogue.relu);
    return out;
  }
  runRows(simd, backend, { x, filter, out, bias }, { info, m, k }, epilogue.relu);
  return out;
}

/** All m output rows by convRows, with K = fh * fw * inC floats per gathered patch. */
function runRows(
  simd: SimdKernels,
  backend: ArrayBackend,
  tensors: { x: tf.TensorInfo; filter: tf.TensorInfo; out: tf.TensorInfo; bias: tf.TensorInfo | null },
  { info, m, k }: { info: tf.backend_util.Conv2DInfo; m: number; k: number },
  relu: boolean,
): void {
  const cols = backend.makeOutput([convScratchFloats(k)], 'float32');
  try {
    // Addresses taken after the allocations, which may have grown the heap.
    const at = (tensor: tf.TensorInfo) => backend.typedArrayFromHeap(tensor).byteOffset;
    simd.convRows(
      at(tensors.x),
      at(tensors.filter),
      at(tensors.out),
      at(cols),
      0,
      m,
      ...convGeometry(info),
      tensors.bias ? at(tensors.bias) : 0,
      relu ? 1 : 0,
    );
  } finally {
    backend.disposeData(cols.dataId);
  }
}

/** The bias and activation over an empty sum's zeros, as convRows would add them. */
function applyEpilogue(values: tf.TypedArray | Uint8Array, bias: tf.TypedArray | Uint8Array, relu: boolean): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] + bias[i % bias.length];
    values[i] = relu ? Math.max(v, 0) : v;
  }
}

export function simdConv2D(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<Inputs>): tf.TensorInfo =>
    convolve(call.backend, call.inputs, call.attrs as unknown as tf.Conv2DAttrs, { bias: null, relu: false }) ??
    callOriginal(original, call);
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}

export function simdFusedConv2D(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<FusedInputs>): tf.TensorInfo => {
    const { x, filter, bias, preluActivationWeights } = call.inputs;
    const attrs = call.attrs as unknown as tf.FusedConv2DAttrs;
    const plain = (attrs.activation === 'linear' || attrs.activation === 'relu') && preluActivationWeights == null;
    const epilogue = { bias: bias ?? null, relu: attrs.activation === 'relu' };
    return (plain ? convolve(call.backend, { x, filter }, attrs, epilogue) : null) ?? callOriginal(original, call);
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}
