/**
 * The fused Adam update (contract in src/ops/adam-update.ts) for tfjs' WebGPU backend, as three
 * element-wise shader dispatches (a WebGPU program writes one output: the weight, which computes
 * the new moments itself, then m' and v'). tfjs' AdamOptimizer spends 14 dispatches per weight and
 * update, and uploads a scalar tensor for each of its six constants; here the constants travel in
 * the dispatches' uniforms. Same arithmetic, in the same order, as
 * ../fused/adam-update.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, AdamUpdateAttrs } from '../../ops/adam-update';
import { PortableKernel, asKernelFunc, requireFloat32 } from '../kernel-call';
import { Uniform, WebGpuCall, WebGpuProgram, elementWiseProgram, releasedOnFailure, runProgram } from './program';

type Inputs = Record<'value' | 'gradient' | 'm' | 'v' | 'accBeta1' | 'accBeta2', tf.TensorInfo>;

/** WGSL: the new moments of element `i` (flushed: those below 1e-30 in magnitude set to 0). */
const NEW_M = 'fn newM(i : i32) -> f32 { return m[i] * uniforms.b1 + gradient[i] * uniforms.c1; }';
const NEW_V = 'fn newV(i : i32) -> f32 { return v[i] * uniforms.b2 + (gradient[i] * gradient[i]) * uniforms.c2; }';
const FLUSHED = 'fn flushed(x : f32) -> f32 { return select(x, 0.0, abs(x) < 1e-30); }';

/**
 * Each output's program: the inputs it reads (a WebGPU pipeline binds only the buffers its shader
 * uses, so each program names just those), helpers and the element's value.
 */
const OUTPUTS = {
  m: { inputs: ['gradient', 'm'], helpers: [NEW_M, FLUSHED], result: 'flushed(newM(index))' },
  v: { inputs: ['gradient', 'v'], helpers: [NEW_V, FLUSHED], result: 'flushed(newV(index))' },
  value: {
    inputs: ['value', 'gradient', 'm', 'v', 'accBeta1', 'accBeta2'],
    helpers: [NEW_M, NEW_V],
    result: `((newM(index) / (1.0 - accBeta1[0])) / (sqrt(newV(index) / (1.0 - accBeta2[0])) + uniforms.eps))
      * uniforms.negLr + value[index]`,
  },
} as const;

type Output = keyof typeof OUTPUTS;

function program(shape: number[], output: Output, uniforms: Uniform[]): WebGpuProgram {
  const { inputs, helpers, result } = OUTPUTS[output];
  return elementWiseProgram(shape, `batchlab_adam_${output}`, [...inputs], uniforms, helpers.join('\n'), result);
}

function adamUpdate({ inputs, backend, attrs }: WebGpuCall<Inputs>): tf.TensorInfo[] {
  requireFloat32(ADAM_UPDATE, inputs);
  const { learningRate, beta1, beta2, epsilon } = attrs as unknown as AdamUpdateAttrs;
  const constants = { b1: beta1, c1: 1 - beta1, b2: beta2, c2: 1 - beta2, eps: epsilon, negLr: -learningRate };
  const uniforms = Object.entries(constants).map(([name, value]): Uniform => ({ name, type: 'f32', value }));
  const shape = inputs.value.shape;
  return releasedOnFailure(backend, (keep) =>
    (['value', 'm', 'v'] as const).map((output) => {
      const read = OUTPUTS[output].inputs.map((name) => inputs[name]);
      return keep(runProgram(backend, program(shape, output, uniforms), read, uniforms));
    }),
  );
}

export const webGpuAdamUpdateKernel: PortableKernel = {
  kernelName: ADAM_UPDATE,
  kernelFunc: asKernelFunc(adamUpdate as never),
};
