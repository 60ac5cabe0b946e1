/**
 * Conv2DBackpropInput for wasm, replacing the backend's own for channels-last data: the stock kernel
 * is a direct C++ loop (about 180 ms for a 3x3, 16 -> 32 channel layer at batch 128). Here the
 * gradient is one matrix product and a scatter: cols [1, M, K] = dy [1, M, outChannels] x W^T, with
 * the filter seen as W [1, K, outChannels], then every column adds into dx at its tap (./columns).
 * Channels-first data goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { addColumns } from './columns';
import { KernelCall, asKernelFunc } from './heap-backend';
import { batchMatMul, viewAs } from './mat-mul-call';

type Inputs = { dy: tf.TensorInfo; filter: tf.TensorInfo };

export function matMulConv2DBackpropInput(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<Inputs>): tf.TensorInfo => {
    const { dy, filter } = call.inputs;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = call.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    if (info.dataFormat !== 'channelsLast' || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
      return original.kernelFunc(call as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    const { backend } = call;
    const k = info.filterHeight * info.filterWidth * info.inChannels;
    const m = info.batchSize * info.outHeight * info.outWidth;
    const cols = batchMatMul(backend, viewAs(dy, [1, m, info.outChannels]), viewAs(filter, [1, k, info.outChannels]), true);
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
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}
