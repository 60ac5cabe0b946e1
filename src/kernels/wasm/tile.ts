/**
 * Tile for wasm by block copies: each axis's first copy is built from the one below it, then
 * repeated with copyWithin. The stock kernel computes every output element's source index (about
 * 4 ms for the [1,1,1,256] -> [128,1,1,256] tile in every BatchNorm gradient). Scalars, strings
 * and empty outputs (a 0 in the shape or in reps) go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelCall, asKernelFunc, callOriginal } from '../kernel-call';

type Inputs = { x: tf.TensorInfo };

export function blockTile(original: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc = (call: KernelCall<Inputs>): tf.TensorInfo => {
    const { x } = call.inputs;
    const { reps } = call.attrs as unknown as tf.TileAttrs;
    const outShape = x.shape.map((d, i) => d * reps[i]);
    if (x.dtype === 'string' || x.shape.length === 0 || tf.util.sizeFromShape(outShape) === 0) {
      return callOriginal(original, call);
    }
    const out = call.backend.makeOutput(outShape, x.dtype);
    tileInto(call.backend.typedArrayFromHeap(x), x.shape, reps, call.backend.typedArrayFromHeap(out));
    return out;
  };
  return { ...original, kernelFunc: asKernelFunc(kernelFunc) };
}

/** Writes `src` (shape `shape`) tiled `reps` times per axis into `out`. Exported for tests. */
export function tileInto(
  src: tf.TypedArray | Uint8Array,
  shape: number[],
  reps: number[],
  out: tf.TypedArray | Uint8Array,
): void {
  const rank = shape.length;
  const outBlock = new Array<number>(rank + 1).fill(1);
  const srcBlock = new Array<number>(rank + 1).fill(1);
  for (let d = rank - 1; d >= 0; d--) {
    outBlock[d] = outBlock[d + 1] * shape[d] * reps[d];
    srcBlock[d] = srcBlock[d + 1] * shape[d];
  }
  const fill = (dim: number, srcOffset: number, outOffset: number): void => {
    if (dim === rank - 1) {
      out.set(src.subarray(srcOffset, srcOffset + shape[dim]), outOffset);
    } else {
      for (let i = 0; i < shape[dim]; i++)
        fill(dim + 1, srcOffset + i * srcBlock[dim + 1], outOffset + i * outBlock[dim + 1]);
    }
    const segment = shape[dim] * outBlock[dim + 1];
    for (let r = 1; r < reps[dim]; r++) out.copyWithin(outOffset + r * segment, outOffset, outOffset + segment);
  };
  fill(0, 0, 0);
}
