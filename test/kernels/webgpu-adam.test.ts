// batchlab's fused Adam update as WebGPU shaders, on whatever Vulkan device exists (lavapipe in CI):
// against tfjs' own AdamOptimizer on the same backend, and against the update computed here in
// float32 element by element. A GPU may fuse a multiply and an add, so the comparisons allow a few
// units in the last place rather than asking for the same bits.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import { ADAM_UPDATE, adamUpdate, hasFusedAdamUpdate } from '../../src/ops/adam-update';
import { FusedAdamFlushingSubnormals } from '../../src/training/flush-denormals';
import { afterUpdates } from '../helpers/adam-updates';
import { seededValues } from '../helpers/kernel-reference';
import { onWebGpu } from '../helpers/webgpu-suite';

/** Largest |a - b| / max(|b|, 1e-6) over two equally long lists. */
function largestRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  return Math.max(0, ...Array.from(a, (x, i) => Math.abs(x - b[i]) / Math.max(Math.abs(b[i]), 1e-6)));
}

describe('fused Adam update (webgpu)', function () {
  this.timeout(180000);
  onWebGpu();

  it('is registered with the kernel pack, and kernels: false takes it away', async () => {
    expect(hasFusedAdamUpdate()).to.equal(true);
    await useBackend('webgpu', { kernels: false });
    expect(hasFusedAdamUpdate()).to.equal(false);
    await useBackend('webgpu');
    expect(hasFusedAdamUpdate()).to.equal(true);
  });

  it("gives AdamOptimizer's weights and moments, and its iteration count, over 5 updates", async () => {
    const fused = await afterUpdates(new FusedAdamFlushingSubnormals(0.01, 0.9, 0.999), 5);
    const stock = await afterUpdates(tf.train.adam(0.01, 0.9, 0.999), 5);
    expect(Object.keys(fused.state)).to.deep.equal(Object.keys(stock.state));
    expect(fused.state.iter).to.deep.equal([5]);
    expect(stock.state.iter).to.deep.equal([5]);
    fused.weights.forEach((w, i) => expect(largestRelativeDifference(w, stock.weights[i])).to.be.below(1e-6));
    for (const name of Object.keys(stock.state))
      expect(largestRelativeDifference(fused.state[name], stock.state[name]), name).to.be.below(1e-5);
  });

  it('computes each element as Adam in float32, and sets moments below 1e-30 to exactly 0', async () => {
    const n = 300; // more than one workgroup of 128
    const f = Math.fround;
    const p = seededValues(n, 1).map(f);
    const g = seededValues(n, 2).map(f);
    const m = seededValues(n, 3).map(f);
    const v = seededValues(n, 4).map((x) => f(Math.abs(x)));
    // Entries whose moments decay below 1e-30 this update (zero gradient, tiny moment).
    for (const i of [0, 129, 299]) {
      g[i] = 0;
      m[i] = 1e-31;
      v[i] = 1e-31;
    }
    const [b1, b2, lr, eps, t] = [0.9, 0.999, 0.003, 1e-7, 3];
    const inputs = {
      value: tf.tensor1d(p),
      gradient: tf.tensor1d(g),
      m: tf.tensor1d(m),
      v: tf.tensor1d(v),
      accBeta1: tf.scalar(b1 ** t),
      accBeta2: tf.scalar(b2 ** t),
    };
    expect(tf.getKernel(ADAM_UPDATE, 'webgpu')).to.not.equal(undefined);
    const outputs = adamUpdate(inputs, { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps });
    const [pOut, mOut, vOut] = await Promise.all(outputs.map(async (o) => Array.from(await o.data())));
    tf.dispose([...outputs, ...Object.values(inputs)]);
    const [d1, d2] = [f(1 - f(b1 ** t)), f(1 - f(b2 ** t))];
    const mRef = m.map((x, i) => f(f(x * f(b1)) + f(g[i] * f(1 - b1))));
    const vRef = v.map((x, i) => f(f(x * f(b2)) + f(f(g[i] * g[i]) * f(1 - b2))));
    const pRef = p.map((x, i) => f(f(f(f(mRef[i] / d1) / f(f(Math.sqrt(f(vRef[i] / d2))) + f(eps))) * f(-lr)) + x));
    for (const i of [0, 129, 299]) {
      expect([mOut[i], vOut[i]], `element ${i}`).to.deep.equal([0, 0]);
      expect(Math.abs(mRef[i])).to.be.below(1e-30);
      mRef[i] = 0;
      vRef[i] = 0;
    }
    expect(largestRelativeDifference(mOut, mRef)).to.be.below(1e-6);
    expect(largestRelativeDifference(vOut, vRef)).to.be.below(1e-6);
    expect(largestRelativeDifference(pOut, pRef)).to.be.below(1e-6);
  });
});
