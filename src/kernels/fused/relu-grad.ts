/**
 * The fused ReLU gradient (contract in src/ops/relu-grad.ts) for wasm and cpu: batchlab's SIMD
 * kernel (../wasm/simd reluGrad) where the backend's memory takes it, else the same product in
 * TypeScript (Math.fround keeps float32 rounding).
 */
import * as tf from '@tensorflow/tfjs';
import { RELU_GRAD } from '../../ops/relu-grad';
import { KernelCall, PortableKernel, asKernelFunc } from '../kernel-call';
import { simdKernels } from '../wasm/simd/instance';

type Inputs = { dy: tf.TensorInfo; x: tf.TensorInfo };

function reluGrad({ inputs, backend }: KernelCall<Inputs>): tf.TensorInfo {
  const { dy, x } = inputs;
  if (dy.dtype !== 'float32' || x.dtype !== 'float32')
    throw new Error(`${RELU_GRAD} needs float32 inputs, got ${dy.dtype}, ${x.dtype}`);
  const out = backend.makeOutput(x.shape, 'float32');
  const [g, v, dx] = [dy, x, out].map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  const simd = simdKernels(backend);
  if (simd) {
    simd.reluGrad(g.byteOffset, v.byteOffset, dx.byteOffset, dx.length);
  } else {
    for (let i = 0; i < dx.length; i++) dx[i] = Math.fround(g[i] * (Number.isNaN(v[i]) ? NaN : v[i] > 0 ? 1 : 0));
  }
  return out;
}

export const reluGradKernel: PortableKernel = { kernelName: RELU_GRAD, kernelFunc: asKernelFunc(reluGrad) };
