/**
 * One Adam update of one weight as a single kernel, for backends that provide it (batchlab's kernel
 * packs for wasm, cpu and webgpu do). tfjs' AdamOptimizer spends 14 element-wise ops per weight and update;
 * at batch size 1 these dominate a step. Owns the kernel's name and contract; the kernels live in
 * src/kernels/fused and src/kernels/webgpu, the update step that calls it in src/training/fused-adam.ts.
 *
 * BatchlabAdamUpdate {value, gradient, m, v, accBeta1, accBeta2} {learningRate, beta1, beta2,
 * epsilon} -> [value', m', v'], computed in float32 op for op as tfjs' AdamOptimizer (accBeta1 and
 * accBeta2 are its beta^t scalars), except that moments below 1e-30 in magnitude become 0.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from './active-backend';

export const ADAM_UPDATE = 'BatchlabAdamUpdate';

export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface AdamState {
  value: tf.Tensor;
  gradient: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  accBeta1: tf.Scalar;
  accBeta2: tf.Scalar;
}

export function hasFusedAdamUpdate(): boolean {
  return activeBackendHas(ADAM_UPDATE);
}

/** The updated weight and moments, as new tensors. */
export function adamUpdate(state: AdamState, attrs: AdamUpdateAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const inputs = { ...state } as unknown as tf.NamedTensorMap;
  return tf
    .engine()
    .runKernel<[tf.Tensor, tf.Tensor, tf.Tensor]>(ADAM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap);
}
