import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { FLUSH_SUBNORMALS_EVERY, FusedAdamFlushingSubnormals } from '../../src/training/flush-denormals';
import { readOptimizerState, restoreOptimizerState } from '../../src/training/optimizer-state';
import type { StoredTensor } from '../../src/io/checkpoint-files';

/** One gradient of 1, then zeros: Adam's first moment decays as 0.1 * 0.9^t, below 1e-30 after ~650 updates. */
function step(optimizer: tf.Optimizer, w: tf.Variable, t: number): void {
  tf.tidy(() => optimizer.applyGradients({ [w.name]: tf.scalar(t === 0 ? 1 : 0) }));
}

const firstMoment = (state: StoredTensor[]): number => state[1].values[0];

describe('optimizer state for checkpoints', function () {
  this.timeout(60000);
  // On tfjs' own cpu kernels Adam has no fused kernel: it flushes its moments every FLUSH_SUBNORMALS_EVERY updates.
  beforeEach(() => tf.setBackend('cpu'));
  afterEach(() => tf.setBackend('wasm'));

  it('a restored Adam flushes at the same updates and keeps its beta powers bit for bit', async () => {
    const total = 7 * FLUSH_SUBNORMALS_EVERY + 20;
    const stopAt = 6 * FLUSH_SUBNORMALS_EVERY + 50;
    const w = tf.variable(tf.scalar(1), true, 'w-whole');
    const whole = new FusedAdamFlushingSubnormals(0.01, 0.9, 0.999);
    for (let t = 0; t < total; t++) step(whole, w, t);
    const expected = await readOptimizerState(whole);
    // Flushed at update 700: without it the moment would be 0.1 * 0.9^719, a float32 subnormal.
    expect(firstMoment(expected)).to.equal(0);

    const v = tf.variable(tf.scalar(1), true, 'w-first');
    const first = new FusedAdamFlushingSubnormals(0.01, 0.9, 0.999);
    for (let t = 0; t < stopAt; t++) step(first, v, t);
    const saved = await readOptimizerState(first);
    expect(firstMoment(saved)).to.be.greaterThan(0).and.lessThan(1e-30);
    const resumed = new FusedAdamFlushingSubnormals(0.01, 0.9, 0.999);
    await restoreOptimizerState(resumed, saved);
    expect(resumed.iterations).to.equal(stopAt);
    for (let t = stopAt; t < total; t++) step(resumed, v, t);
    expect(await readOptimizerState(resumed)).to.deep.equal(expected);
    expect(await v.data()).to.deep.equal(await w.data());

    // tfjs' own setWeights sets the beta powers to pow(beta, t + 1), which here is not the product the updates made.
    const viaTfjs = new FusedAdamFlushingSubnormals(0.01, 0.9, 0.999);
    const slots = saved.slice(0, 3).map((s, i) => ({ name: `s${i}`, tensor: tf.tensor(s.values, s.shape) }));
    await viaTfjs.setWeights(slots);
    tf.dispose(slots.map((s) => s.tensor));
    const powers = (await readOptimizerState(viaTfjs)).slice(3);
    expect(powers.map((p) => p.values[0])).to.not.deep.equal(saved.slice(3).map((p) => p.values[0]));
    tf.dispose([w, v]);
    [whole, first, resumed, viaTfjs].forEach((o) => o.dispose());
  });

  it('refuses to restore into an optimizer that has already made updates', async () => {
    const w = tf.variable(tf.scalar(1), true, 'w-used');
    const used = tf.train.sgd(0.1);
    step(used, w, 0);
    const error = await restoreOptimizerState(used, []).catch((e: Error) => e);
    expect((error as Error).message).to.match(/has already made 1 updates; pass a fresh one/);
    w.dispose();
    used.dispose();
  });
});
