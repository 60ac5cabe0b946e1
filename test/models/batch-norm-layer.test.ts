/**
 * batchlab's BatchNormalization layer: the stock tfjs-layers layer whose training call runs the
 * fused kernels where the backend has them. Checked against the stock path on the cpu backend
 * through several training updates, for its fallback on wasm without the kernel pack, and for its
 * saved form; its unbiased moving-variance option by hand, on both paths.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { cnn, mlp, ModelBuilder } from '../../models';
import * as batchlab from '../../src';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../src/backend';
import { onBackend, relativeError, seededValues } from '../helpers/kernel-reference';
import { StepsResult, trainSteps } from '../helpers/train-steps';

/** Every weight (moving statistics included) after three SGD updates, and the kernels of the first. */
function trainThreeSteps(builder: ModelBuilder, inputShape: number[]): Promise<StepsResult> {
  const batch = 6;
  return trainSteps({
    model: builder.build({ inputShape, outputs: 3 }, 7),
    x: tf.tensor(seededValues(batch * inputShape.reduce((a, b) => a * b, 1), 11), [batch, ...inputShape]),
    y: tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3),
    optimizer: tf.train.sgd(0.1),
  });
}

describe('BatchNormalization layer (fused training path)', () => {
  afterEach(() => registerWasmTrainingKernels());

  for (const [name, builder, shape] of [
    ['mlp', mlp({ hidden: [8, 6], batchNorm: true }), [5]],
    ['cnn', cnn({ filters: [4], dense: 0, batchNorm: true }), [6, 5, 1]],
  ] as const) {
    it(`${name}: three updates with the fused kernels equal the stock layer's on cpu to 1e-5`, async () => {
      const fused = await trainThreeSteps(builder, [...shape]);
      const stock = await onBackend('cpu', () => trainThreeSteps(builder, [...shape]));
      expect(fused.kernels).to.include('BatchlabBatchNormTraining').and.include('BatchlabBatchNormTrainingGrad');
      expect(fused.kernels).to.not.include('FusedBatchNorm');
      expect(stock.kernels).to.include('FusedBatchNorm').and.not.include('BatchlabBatchNormTraining');
      expect(fused.weights.length).to.equal(stock.weights.length);
      fused.weights.forEach((w, i) => expect(relativeError(w, stock.weights[i]), `weight ${i}`).to.be.below(1e-5));
    });
  }

  it('takes the stock path on wasm without the kernel pack, with the same result', async () => {
    const builder = mlp({ hidden: [8, 6], batchNorm: true });
    const fused = await trainThreeSteps(builder, [5]);
    unregisterWasmTrainingKernels();
    const stock = await trainThreeSteps(builder, [5]);
    expect(stock.kernels).to.include('FusedBatchNorm').and.not.include('BatchlabBatchNormTraining');
    fused.weights.forEach((w, i) => expect(relativeError(w, stock.weights[i]), `weight ${i}`).to.be.below(1e-5));
  });

  for (const path of ['fused', 'stock'] as const) {
    it(`${path} path: unbiasedMovingVariance feeds the moving variance n/(n-1) times the batch variance`, async () => {
      // Channel 0 holds 1 and 3 (mean 2, biased variance 1, unbiased 2), channel 1 holds 0 and 0.
      const moving = () => {
        const layer = batchlab.batchNormalizationLayer({ momentum: 0.75, unbiasedMovingVariance: true });
        const x = tf.tensor2d([
          [1, 0],
          [3, 0],
        ]);
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        const [, , mean, variance] = layer.getWeights().map((w) => Array.from(w.dataSync()));
        tf.dispose([x, y]);
        return { mean, variance };
      };
      const result = path === 'fused' ? moving() : await onBackend('cpu', moving);
      // moving = 0.75 * moving + 0.25 * batch, from mean 0 and variance 1.
      expect(result.mean[0]).to.be.closeTo(0.5, 1e-6);
      expect(result.variance[0]).to.be.closeTo(0.75 + 0.25 * 2, 1e-6);
      expect(result.variance[1]).to.be.closeTo(0.75, 1e-6);
    });
  }

  it('refuses one value per channel with unbiasedMovingVariance, as PyTorch does', () => {
    const layer = batchlab.batchNormalizationLayer({ unbiasedMovingVariance: true });
    const x = tf.ones([1, 3]);
    expect(() => layer.apply(x, { training: true })).to.throw(
      /more than one value per channel.*got input of shape \[1, 3\]/,
    );
    x.dispose();
  });

  it('runs inference with the stock kernels', async () => {
    const model = mlp({ hidden: [4], batchNorm: true }).build({ inputShape: [3], outputs: 2 }, 1);
    const x = tf.ones([2, 3]);
    const profile = await tf.profile(() => model.predict(x));
    expect(profile.kernels.map((k) => k.name)).to.not.include('BatchlabBatchNormTraining');
    tf.dispose([x, profile.result]);
    model.dispose();
  });

  it('is exported for models of your own, with conv2dLayer', () => {
    expect(batchlab.batchNormalizationLayer({ momentum: 0.5 }).getClassName()).to.equal('BatchNormalization');
    expect(batchlab.conv2dLayer({ filters: 2, kernelSize: 3 }).getClassName()).to.equal('Conv2D');
  });

  it('saves as a plain BatchNormalization, which stock tfjs loads', async () => {
    const model = mlp({ hidden: [4], batchNorm: true }).build({ inputShape: [3], outputs: 2 }, 1);
    const topology = model.toJSON(null, false) as { config: { layers: { class_name: string }[] } };
    expect(topology.config.layers.map((l) => l.class_name)).to.include('BatchNormalization');
    const loaded = await tf.models.modelFromJSON({ modelTopology: topology });
    expect(loaded.layers.map((l) => l.getClassName())).to.include('BatchNormalization');
    model.dispose();
    loaded.dispose();
  });
});
