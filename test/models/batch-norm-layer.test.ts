/**
 * batchlab's BatchNormalization layer: the stock tfjs-layers layer whose training call runs the
 * fused kernels where the backend has them. Checked against the stock path on the cpu backend
 * through several training updates, for its fallback on wasm without the kernel pack, and for its
 * saved form.
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
