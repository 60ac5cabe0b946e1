import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import {
  FLUSH_SUBNORMALS_EVERY,
  FusedAdamFlushingSubnormals,
  MomentumFlushingSubnormals,
} from '../../src/training/flush-denormals';

/** One nonzero gradient, then zeros: the moments decay as 0.9^t into float32's subnormal range. */
async function firstMomentAfter(optimizer: tf.Optimizer, updates: number): Promise<{ moment: number; weight: number }> {
  const w = tf.variable(tf.scalar(1), true, `w${Math.random()}`);
  for (let t = 0; t < updates; t++) {
    tf.tidy(() => optimizer.applyGradients({ [w.name]: tf.scalar(t === 0 ? 1 : 0) }));
  }
  const weights = optimizer.getWeights ? await optimizer.getWeights() : [];
  const slot = weights.find((s) => s.name.startsWith(w.name));
  const moment = slot ? (await slot.tensor.data())[0] : NaN;
  const weight = (await w.data())[0];
  tf.dispose(weights.map((s) => s.tensor));
  w.dispose();
  optimizer.dispose();
  return { moment, weight };
}

describe('optimizers that flush subnormal accumulators', () => {
  it('stock Adam leaves a subnormal first moment after 900 updates; FusedAdamFlushingSubnormals leaves 0', async () => {
    const stock = await firstMomentAfter(tf.train.adam(0.01), 900);
    expect(stock.moment).to.be.greaterThan(0).and.lessThan(1.18e-38); // 0.1 * 0.9^899, below float32's smallest normal
    const flushing = await firstMomentAfter(new FusedAdamFlushingSubnormals(0.01, 0.9, 0.999), 900);
    expect(flushing.moment).to.equal(0);
    expect(flushing.weight).to.be.closeTo(stock.weight, 1e-6);
  });

  it('changes nothing before the first flush', async () => {
    const stock = await firstMomentAfter(tf.train.adam(0.01), FLUSH_SUBNORMALS_EVERY - 1);
    const flushing = await firstMomentAfter(
      new FusedAdamFlushingSubnormals(0.01, 0.9, 0.999),
      FLUSH_SUBNORMALS_EVERY - 1,
    );
    expect(flushing).to.deep.equal(stock);
  });

  it('momentum accumulators are flushed too', async () => {
    const stock = await firstMomentAfter(tf.train.momentum(0.01, 0.9), 900);
    expect(stock.moment).to.be.greaterThan(0).and.lessThan(1.18e-38);
    expect((await firstMomentAfter(new MomentumFlushingSubnormals(0.01, 0.9, false), 900)).moment).to.equal(0);
  });
});
