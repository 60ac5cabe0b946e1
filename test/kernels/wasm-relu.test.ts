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

describe('SIMD ReLU (wasm)', () => {
  afterEach(() => registerWasmTrainingKernels());

  /** ReLU of values given by their bits, and its bits; 13 values, so the scalar tail runs too. */
  function reluBits(bits: number[]): string[] {
    const x = tf.tensor1d(new Float32Array(Uint32Array.from(bits).buffer));
    const y = tf.relu(x);
    const out = Array.from(new Uint32Array((y.dataSync() as Float32Array).slice().buffer), (b) => b.toString(16));
    tf.dispose([x, y]);
    return out;
  }

  it("gives stock wasm's bits: sign bit set gives +0 (-0 and negative NaNs too), positive NaNs kept", () => {
    // 3, -3, -0, +inf, -inf, the smallest subnormals, then NaNs of both signs, quiet and signalling.
    const bits = [0x40400000, 0xc0400000, 0x80000000, 0x7f800000, 0xff800000, 0x1, 0x80000001];
    bits.push(0x7fc00000, 0xffc00000, 0x7fc00001, 0xffc00001, 0x7f800001, 0xff800001);
    const ours = reluBits(bits);
    expect(ours).to.deep.equal([
      '40400000',
      '0',
      '0',
      '7f800000',
      '0',
      '1',
      '0',
      '7fc00000',
      '0',
      '7fc00001',
      '0',
      '7f800001',
      '0',
    ]);
    unregisterWasmTrainingKernels();
    expect(reluBits(bits)).to.deep.equal(ours);
  });

  it('runs as the pack kernel for float32 and leaves int32 to the stock kernel', () => {
    const kernel = tf.getKernel('Relu', 'wasm');
    unregisterWasmTrainingKernels();
    expect(tf.getKernel('Relu', 'wasm')).to.not.equal(kernel);
    registerWasmTrainingKernels();
    const ints = tf.relu(tf.tensor1d([-2, 0, 5], 'int32'));
    expect(ints.dtype).to.equal('int32');
    expect(Array.from(ints.dataSync())).to.deep.equal([0, 0, 5]);
    ints.dispose();
  });
});
