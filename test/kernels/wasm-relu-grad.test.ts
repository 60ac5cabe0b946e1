import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../src/backend';

// Signed zeros, NaN and infinities in both x and dy; 11 values, so the SIMD kernel's scalar tail runs too.
const X = [-2, -0, 0, 1e-30, 3, NaN, Infinity, -Infinity, 0.5, -0.5, 7];
const DY = [1, -3, 2, -0, NaN, 4, -1, 5, -0, 6, 0.25];

/** Each value as a string that keeps -0 apart from 0. */
const exact = (values: ArrayLike<number>) => Array.from(values, (v) => (Object.is(v, -0) ? '-0' : String(v)));

async function reluGradient(): Promise<{ dx: string[]; kernels: string[] }> {
  let dx: string[] = [];
  const profile = await tf.profile(() => {
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.relu(x))(tf.tensor1d(X), tf.tensor1d(DY)));
    dx = exact(g.dataSync());
    g.dispose();
  });
  return { dx, kernels: profile.kernels.map((k) => k.name) };
}

describe('fused ReLU gradient (wasm)', () => {
  afterEach(() => registerWasmTrainingKernels());

  it("equals tfjs' dy * step(x) on cpu, signed zeros and NaN included, in one kernel", async () => {
    const fused = await reluGradient();
    await tf.setBackend('cpu');
    const reference = await reluGradient().finally(() => tf.setBackend('wasm'));
    expect(fused.dx).to.deep.equal(reference.dx);
    expect(fused.kernels).to.include('BatchlabReluGrad').and.not.include('Step');
  });

  it("gives tfjs' own gradient back when the kernel pack is unregistered", async () => {
    unregisterWasmTrainingKernels();
    const stock = await reluGradient();
    expect(stock.kernels).to.include('Step').and.not.include('BatchlabReluGrad');
  });
});
