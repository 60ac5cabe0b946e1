/**
 * batchlab's Conv2D layer: the stock layer, whose bias-free linear convolution runs the plain conv2d
 * op, so that backpropagation skips the first layer's input gradient. Checked against the stock
 * layer with the same weights, and by counting the input-gradient kernels of one update.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { conv2d } from '../../models/conv2d-layer';
import { relativeError, seededValues } from '../helpers/kernel-reference';
import { StepsResult, trainSteps } from '../helpers/train-steps';

type Factory = typeof conv2d;

/** Two bias-free 3x3 convolutions and a dense head; the convolution layers come from `makeConv`. */
function build(makeConv: Factory): tf.LayersModel {
  const input = tf.input({ shape: [6, 5, 2] });
  const init = (i: number) => tf.initializers.glorotUniform({ seed: i });
  let x = makeConv({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(1) }).apply(
    input,
  ) as tf.SymbolicTensor;
  x = makeConv({
    filters: 3,
    kernelSize: 3,
    padding: 'valid',
    strides: 2,
    useBias: false,
    kernelInitializer: init(2),
  }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  return tf.model({
    inputs: input,
    outputs: tf.layers.dense({ units: 2, kernelInitializer: init(3) }).apply(x) as tf.SymbolicTensor,
  });
}

function trainThreeSteps(makeConv: Factory): Promise<StepsResult> {
  return trainSteps({
    model: build(makeConv),
    x: tf.tensor(seededValues(3 * 6 * 5 * 2, 4), [3, 6, 5, 2]),
    y: tf.oneHot(tf.tensor1d([0, 1, 1], 'int32'), 2),
    optimizer: tf.train.sgd(0.1),
  });
}

describe('Conv2D layer (lazy input gradient)', () => {
  it('trains like the stock layer, and computes no input gradient for the first layer', async () => {
    const ours = await trainThreeSteps(conv2d);
    const stock = await trainThreeSteps(tf.layers.conv2d);
    const count = (names: string[], name: string) => names.filter((n) => n === name).length;
    expect(count(stock.kernels, 'Conv2DBackpropInput')).to.equal(2);
    expect(count(ours.kernels, 'Conv2DBackpropInput')).to.equal(1);
    expect(count(ours.kernels, 'Conv2DBackpropFilter')).to.equal(2);
    ours.weights.forEach((w, i) => expect(relativeError(w, stock.weights[i]), `weight ${i}`).to.be.below(1e-6));
  });

  it('saves as a plain Conv2D', () => {
    const model = build(conv2d);
    const topology = model.toJSON(null, false) as { config: { layers: { class_name: string }[] } };
    expect(topology.config.layers.filter((l) => l.class_name === 'Conv2D')).to.have.length(2);
    model.dispose();
  });
});
