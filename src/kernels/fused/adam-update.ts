/**
 * The fused Adam update (contract in src/ops/adam-update.ts) for wasm and cpu: batchlab's SIMD
 * kernel (../wasm/simd, `adam`) where the backend's memory takes it, else the same float32
 * arithmetic in TypeScript, every intermediate rounded with Math.fround as the SIMD lanes round it.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, AdamUpdateAttrs } from '../../ops/adam-update';
import { KernelCall, PortableKernel, asKernelFunc, requireFloat32 } from '../kernel-call';
import { simdKernels } from '../wasm/simd/instance';

type Inputs = Record<'value' | 'gradient' | 'm' | 'v' | 'accBeta1' | 'accBeta2', tf.TensorInfo>;

/** The per-update constants, rounded to float32 as tfjs' scalar tensors hold them. */
interface Coefficients {
  b1: number;
  c1: number;
  b2: number;
  c2: number;
  d1: number;
  d2: number;
  eps: number;
  negLr: number;
}

function adamUpdate({ inputs, backend, attrs }: KernelCall<Inputs>): tf.TensorInfo[] {
  requireFloat32(ADAM_UPDATE, inputs);
  const { learningRate, beta1, beta2, epsilon } = attrs as unknown as AdamUpdateAttrs;
  const outputs = [inputs.value, inputs.m, inputs.v].map((t) => backend.makeOutput(t.shape, 'float32'));
  // Views taken after the last allocation, which may have grown (and detached) the heap.
  const view = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info) as Float32Array;
  const f = Math.fround;
  const k: Coefficients = {
    b1: f(beta1),
    c1: f(1 - beta1),
    b2: f(beta2),
    c2: f(1 - beta2),
    d1: f(1 - view(inputs.accBeta1)[0]),
    d2: f(1 - view(inputs.accBeta2)[0]),
    eps: f(epsilon),
    negLr: f(-learningRate),
  };
  const [p, g, m, v] = [view(inputs.value), view(inputs.gradient), view(inputs.m), view(inputs.v)];
  const [pOut, mOut, vOut] = outputs.map(view);
  const simd = simdKernels(backend);
  if (simd) {
    simd.adam(
      p.byteOffset,
      g.byteOffset,
      m.byteOffset,
      v.byteOffset,
      p.length,
      pOut.byteOffset,
      mOut.byteOffset,
      vOut.byteOffset,
      k.b1,
      k.c1,
      k.b2,
      k.c2,
      k.d1,
      k.d2,
      k.eps,
      k.negLr,
    );
  } else {
    for (let i = 0; i < p.length; i++) {
      const mi = f(f(m[i] * k.b1) + f(g[i] * k.c1));
      const vi = f(f(v[i] * k.b2) + f(f(f(g[i] * g[i]) * k.c2)));
      pOut[i] = f(f(f(f(mi / k.d1) / f(f(Math.sqrt(f(vi / k.d2))) + k.eps)) * k.negLr) + p[i]);
      mOut[i] = Math.abs(mi) < 1e-30 ? 0 : mi;
      vOut[i] = Math.abs(vi) < 1e-30 ? 0 : vi;
    }
  }
  return outputs;
}

export const adamUpdateKernel: PortableKernel = { kernelName: ADAM_UPDATE, kernelFunc: asKernelFunc(adamUpdate) };
