/**
 * The model builders as recipes: output shapes, seeded initial weights (the same seed gives the same
 * weights, BN on or off), one-line descriptions, and rejection of bad options with messages that
 * name the value.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { cnn, logistic, mlp } from '../../models';
import type { BnConvention, BnPosition, ModelBuilder } from '../../models';
import { leakCheck } from '../helpers/leak-check';

const IMAGE = { inputShape: [28, 28, 1], outputs: 10 };

/** Small variants keep the weight comparisons cheap; the defaults are built in the shape test. */
const BUILDERS: Record<string, () => ModelBuilder> = {
  mlp: () => mlp({ hidden: [16, 8] }),
  cnn: () => cnn({ filters: [4], dense: 8 }),
  logistic: () => logistic(),
};

/** Every weight of the model as plain numbers, keyed by layer class, index and weight shape. */
function weightValues(model: tf.LayersModel): { where: string; values: number[] }[] {
  return model.layers.flatMap((layer, i) =>
    layer
      .getWeights()
      .map((w) => ({ where: `${i}:${layer.getClassName()}[${w.shape.join(',')}]`, values: Array.from(w.dataSync()) })),
  );
}

/** Kernels of the Dense and Conv2D layers, in model order. */
function kernels(model: tf.LayersModel): number[][] {
  return model.layers
    .filter((layer) => ['Dense', 'Conv2D'].includes(layer.getClassName()))
    .map((layer) => Array.from(layer.getWeights()[0].dataSync()));
}

describe('model builders', () => {
  const { track, finish } = leakCheck();

  it('mlp, cnn and logistic (with their defaults) build for [28, 28, 1] with output shape [null, 10]', () => {
    for (const builder of [mlp(), cnn(), logistic()]) {
      const model = track(builder.build(IMAGE, 1));
      expect(model.inputs[0].shape, builder.name).to.deep.equal([null, 28, 28, 1]);
      expect(model.outputs[0].shape, builder.name).to.deep.equal([null, 10]);
      const out = tf.tidy(() => (model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor).shape);
      expect(out, builder.name).to.deep.equal([2, 10]);
    }
    finish();
  });

  it('the same seed gives identical initial weights, a different seed different kernels', () => {
    for (const [name, make] of Object.entries(BUILDERS)) {
      const a = weightValues(track(make().build(IMAGE, 7)));
      const b = weightValues(track(make().build(IMAGE, 7)));
      const c = weightValues(track(make().build(IMAGE, 8)));
      expect(a.length, name).to.be.above(0);
      expect(b, `${name}: seed 7 twice`).to.deep.equal(a);
      expect(
        c.map((w) => w.where),
        name,
      ).to.deep.equal(a.map((w) => w.where));
      a.forEach((w, i) => {
        if (w.values.every((v) => v === 0)) return; // biases start at zero whatever the seed
        expect(c[i].values, `${name} ${w.where}: seed 7 vs 8`).not.to.deep.equal(w.values);
      });
      finish();
    }
  });

  it('an mlp with and without BN, from the same seed, has identical kernels in every shared layer', () => {
    for (const bnPosition of ['before', 'after'] as BnPosition[]) {
      const plain = track(mlp({ hidden: [16, 8] }).build(IMAGE, 3));
      const withBn = track(mlp({ hidden: [16, 8], batchNorm: true, bnPosition }).build(IMAGE, 3));
      const plainKernels = kernels(plain);
      const bnKernels = kernels(withBn);
      expect(plainKernels).to.have.length(3); // two hidden layers and the output layer
      expect(bnKernels).to.have.length(3);
      plainKernels.forEach((k, i) => expect(bnKernels[i], `${bnPosition}: dense layer ${i}`).to.deep.equal(k));
      // The layers differ from each other (each weighted layer has its own derived seed).
      expect(plainKernels[1].slice(0, 8)).not.to.deep.equal(plainKernels[2].slice(0, 8));
    }
    // The same holds for the convolutions and the dense layer of a cnn.
    const plainCnn = track(cnn({ filters: [4], dense: 8 }).build(IMAGE, 3));
    const bnCnn = track(cnn({ filters: [4], dense: 8, batchNorm: true }).build(IMAGE, 3));
    expect(kernels(bnCnn)).to.deep.equal(kernels(plainCnn));
    finish();
  });

  it('describe() is one line that states the BN settings', () => {
    const cases: [ModelBuilder, RegExp][] = [
      [mlp({ hidden: [256, 128] }), /^mlp \[256,128\] relu, no BN$/],
      [
        mlp({ hidden: [4], batchNorm: true, momentum: 0.5, epsilon: 1e-5 }),
        /^mlp \[4\] relu, BN before activation \(keras convention: momentum 0\.5, epsilon 0\.00001\)$/,
      ],
      [
        mlp({ hidden: [4], batchNorm: true, bnConvention: 'pytorch' }),
        /^mlp \[4\] relu, BN before activation \(pytorch convention: momentum 0\.1, epsilon 0\.00001, unbiased moving variance\)$/,
      ],
      [
        mlp({ batchNorm: true, bnPosition: 'after', dropout: 0.25 }),
        /BN after activation \(keras convention: momentum 0\.9, epsilon 0\.001\), dropout 0\.25$/,
      ],
      [cnn({ batchNorm: true }), /^cnn .*BN before activation \(keras convention: momentum 0\.9, epsilon 0\.001\)$/],
      [cnn(), /^cnn .*no BN$/],
      [logistic(), /^logistic/],
    ];
    for (const [builder, pattern] of cases) {
      const line = builder.describe();
      expect(line).not.to.include('\n');
      expect(line).to.match(pattern);
    }
    expect(logistic().batchNorm).to.equal(false);
    expect(mlp({ batchNorm: true }).batchNorm).to.equal(true);
    finish();
  });

  it('rejects invalid options with a message naming the value', () => {
    expect(() => mlp({ hidden: [0] })).to.throw(/hidden units.*got 0/);
    expect(() => mlp({ hidden: [8, 2.5] })).to.throw(/hidden units.*got 2\.5/);
    expect(() => mlp({ dropout: 1 })).to.throw(/dropout.*got 1/);
    expect(() => mlp({ momentum: 1 })).to.throw(/momentum.*got 1/);
    expect(() => cnn({ momentum: -0.1 })).to.throw(/momentum.*got -0\.1/);
    expect(() => mlp({ epsilon: 0 })).to.throw(/epsilon.*got 0/);
    expect(() => mlp({ bnConvention: 'pytorch', momentum: 0 })).to.throw(
      /momentum must be in \(0, 1\] with the pytorch convention, got 0/,
    );
    expect(() => mlp({ bnConvention: 'torch' as unknown as BnConvention })).to.throw(/bnConvention.*got torch/);
    expect(() => mlp({ bnPosition: 'middle' as unknown as BnPosition })).to.throw(/bnPosition.*got middle/);
    expect(() => cnn({ filters: [16, 0] })).to.throw(/filters.*got 0/);
    finish();
  });

  it('cnn rejects flat input, naming the shape', () => {
    expect(() => cnn().build({ inputShape: [784], outputs: 10 }, 1)).to.throw(/image input.*\[784\]/);
    finish();
  });

  it('builds regression models (outputs 1)', () => {
    for (const make of Object.values(BUILDERS)) {
      const model = track(make().build({ inputShape: [28, 28, 1], outputs: 1 }, 1));
      expect(model.outputs[0].shape).to.deep.equal([null, 1]);
      const out = tf.tidy(() => (model.predict(tf.ones([3, 28, 28, 1])) as tf.Tensor).shape);
      expect(out).to.deep.equal([3, 1]);
    }
    const flat = track(mlp({ hidden: [4] }).build({ inputShape: [3], outputs: 1 }, 1));
    expect(flat.outputs[0].shape).to.deep.equal([null, 1]);
    finish();
  });
});
