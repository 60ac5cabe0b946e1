/**
 * batchlab's Dense layer: the stock layer, whose bias-free linear product runs the plain matMul op,
 * so that backpropagation skips the first layer's input gradient. Checked against the stock layer
 * with the same weights, and by counting the matrix products of one update.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { denseLayer } from '../../models';
import { relativeError, seededValues } from '../helpers/kernel-reference';
import { StepsResult, trainSteps } from '../helpers/train-steps';

type Factory = typeof denseLayer;

/** Two bias-free hidden layers from `makeDense`, then tfjs' own output layer with a bias. */
function build(makeDense: Factory): tf.LayersModel {
  const input = tf.input({ shape: [5] });
  const init = (i: number) => tf.initializers.glorotUniform({ seed: i });
  let x = makeDense({ units: 8, useBias: false, kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  x = makeDense({ units: 6, useBias: false, kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  return tf.model({
    inputs: input,
    outputs: tf.layers.dense({ units: 3, kernelInitializer: init(3) }).apply(x) as tf.SymbolicTensor,
  });
}

function trainThreeSteps(makeDense: Factory): Promise<StepsResult> {
  return trainSteps({
    model: build(makeDense),
    x: tf.tensor2d(seededValues(4 * 5, 4), [4, 5]),
    y: tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3),
    optimizer: tf.train.sgd(0.1),
  });
}

describe('Dense layer (lazy input gradient)', () => {
  it('trains like the stock layer, with one matrix product fewer per update (no input gradient for the first layer)', async () => {
    const ours = await trainThreeSteps(denseLayer);
    const stock = await trainThreeSteps(tf.layers.dense);
    const products = (names: string[]) => names.filter((n) => n === 'BatchMatMul' || n === '_FusedMatMul').length;
    // Three forward products; backward, two per layer (input and weight gradients) but one for the first.
    expect(products(stock.kernels)).to.equal(3 + 6);
    expect(products(ours.kernels)).to.equal(3 + 5);
    ours.weights.forEach((w, i) => expect(relativeError(w, stock.weights[i]), `weight ${i}`).to.be.below(1e-6));
  });

  it('with a bias and ReLU, trains like the stock layer from plain ops, without the fused op or its reshapes', async () => {
    const run = (makeDense: Factory) => {
      const input = tf.input({ shape: [5] });
      const init = (i: number) => tf.initializers.glorotUniform({ seed: i });
      const hidden = makeDense({ units: 8, activation: 'relu', kernelInitializer: init(1), biasInitializer: 'ones' });
      const head = makeDense({ units: 3, kernelInitializer: init(2), biasInitializer: 'ones' });
      const output = head.apply(hidden.apply(input)) as tf.SymbolicTensor;
      return trainSteps({
        model: tf.model({ inputs: input, outputs: output }),
        x: tf.tensor2d(seededValues(4 * 5, 5), [4, 5]),
        y: tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3),
        optimizer: tf.train.sgd(0.1),
      });
    };
    const ours = await run(denseLayer);
    const stock = await run(tf.layers.dense);
    const count = (names: string[], kernel: string) => names.filter((n) => n === kernel).length;
    expect(count(stock.kernels, '_FusedMatMul')).to.be.above(0);
    expect(count(ours.kernels, '_FusedMatMul')).to.equal(0);
    expect(count(ours.kernels, 'Reshape')).to.be.below(count(stock.kernels, 'Reshape'));
    expect(ours.weights).to.have.length(4);
    ours.weights.forEach((w, i) => expect(relativeError(w, stock.weights[i]), `weight ${i}`).to.be.below(1e-6));
  });

  it('saves as a plain Dense', () => {
    const model = build(denseLayer);
    const topology = model.toJSON(null, false) as { config: { layers: { class_name: string }[] } };
    expect(topology.config.layers.filter((l) => l.class_name === 'Dense')).to.have.length(3);
    model.dispose();
  });
});
