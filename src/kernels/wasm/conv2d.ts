/**
 * Conv2D for wasm, replacing the backend's own (XNNPACK, on one thread) for channels-last float32
 * data with dilation 1: the output rows as products of gathered patches and the filter, in blocks
 * that stay in cache (mat-mul.wat's convRows), split across batchlab's kernel threads by rows, so a
 * convolution uses every thread (README: Threads), with bit-identical results on any thread count.
 * Conv2DBackpropInput's flipped convolution runs through it too. Dilated or channels-first
 * convolutions, other dtypes, and a filter holding NaN or an infinity (the padding's zeros would
 * turn it into NaN where tfjs' loops skip the padding) go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { allFinite } from './finite';
import { KernelCall, asKernelFunc, callOriginal } from '../kernel-call';
import { simdKernels } from './simd/instance';
import { convScratchFloats } from './simd/threaded';

type Inputs = { x: tf.TensorInfo; filter: tf.TensorInfo };

export function simdConv2D(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<Inputs>): tf.TensorInfo => {
    const { x, filter } = call.inputs;
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = call.attrs as unknown as tf.Conv2DAttrs;
    const { backend } = call;
    const simd = simdKernels(backend);
    const undilated = dilations === undefined || [dilations].flat().every((d) => d === 1);
    if (!simd || !undilated || dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32') {
      return callOriginal(original, call);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const m = info.batchSize * info.outHeight * info.outWidth;
    const k = info.filterHeight * info.filterWidth * info.inChannels;
    if (!allFinite(backend.typedArrayFromHeap(filter))) return callOriginal(original, call);
    const out = backend.makeOutput(info.outShape, 'float32');
    if (m === 0 || k === 0 || info.outChannels === 0) {
      // An empty sum (no input channels) is 0, which XNNPACK would leave unwritten; or no output at all.
      backend.typedArrayFromHeap(out).fill(0);
      return out;
    }
    const cols = backend.makeOutput([convScratchFloats(k)], 'float32');
    try {
      // Addresses taken after the allocations, which may have grown the heap.
      const at = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;
      simd.convRows(
        at(x),
        at(filter),
        at(out),
        at(cols),
        0,
        m,
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
      );
      return out;
    } finally {
      backend.disposeData(cols.dataId);
    }
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}
