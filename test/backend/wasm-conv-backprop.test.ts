// Both convolution gradients on wasm (batchlab's im2col + matmul Conv2DBackpropFilter and
// Conv2DBackpropInput) against the cpu backend's: odd shapes, the channels-first fallbacks, no
// leaked tensors or wasm buffers, and a BatchNorm CNN trained for three steps on each backend.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { cnn } from '../../models/cnn';
import { toDataset } from '../../src/data/dataset';
import { singleStep } from '../../src/training/step';
import { deriveSeed } from '../../src/util/random';
import { Pad, Shape4, onBackend, relativeError, seededValues } from '../helpers/kernel-reference';

interface ConvCase {
  name: string;
  xShape: Shape4;
  filterShape: Shape4;
  strides: [number, number];
  pad: Pad;
}

interface Grads {
  dx: Float32Array;
  dW: Float32Array;
}

function outShape(c: ConvCase, dataFormat: 'NHWC' | 'NCHW' = 'NHWC'): Shape4 {
  return tf.backend_util.computeConv2DInfo(
    c.xShape, c.filterShape, c.strides, 1, c.pad, undefined, false, tf.backend_util.convertConv2DDataFormat(dataFormat),
  ).outShape;
}

/** dL/dx and dL/dfilter for L = sum(conv2d(x, filter) * w), seeded values. */
function convGrads(c: ConvCase, seed: number): Grads {
  return tf.tidy(() => {
    const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), seed), c.xShape);
    const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), seed + 1), c.filterShape);
    const w = tf.tensor(seededValues(tf.util.sizeFromShape(outShape(c)), seed + 2), outShape(c));
    const grads = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad).mul(w).sum());
    const [dx, dW] = grads([x, filter]);
    return { dx: dx.dataSync() as Float32Array, dW: dW.dataSync() as Float32Array };
  });
}

/**
 * The same gradients for NCHW data, straight from the kernels: wasm's forward Conv2D rejects NCHW
 * (cpu's accepts it), and the gradient of L is dy = w. `c.xShape` is read as [b, c, h, w].
 */
function channelsFirstGrads(c: ConvCase, seed: number): Grads {
  return tf.tidy(() => {
    const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), seed), c.xShape);
    const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), seed + 1), c.filterShape);
    const dyShape = outShape(c, 'NCHW');
    const dy = tf.tensor4d(seededValues(tf.util.sizeFromShape(dyShape), seed + 2), dyShape);
    const common = { strides: c.strides, pad: c.pad, dataFormat: 'NCHW' };
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: object): Float32Array =>
      (tf.engine().runKernel(name, inputs, { ...common, ...attrs } as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync() as Float32Array;
    return {
      dx: run(tf.Conv2DBackpropInput, { dy, filter }, { inputShape: c.xShape }),
      dW: run(tf.Conv2DBackpropFilter, { x, dy }, { filterShape: c.filterShape }),
    };
  });
}

const TOLERANCE = 1e-5;
const f3x3: Shape4 = [3, 3, 2, 3];
const f2x3: Shape4 = [2, 3, 2, 3];
const nhwc: Shape4 = [3, 7, 5, 2];

const cases: ConvCase[] = [
  { name: '3x3 stride 1 same', xShape: nhwc, filterShape: f3x3, strides: [1, 1], pad: 'same' },
  { name: '3x3 stride 2 same', xShape: nhwc, filterShape: f3x3, strides: [2, 2], pad: 'same' },
  { name: '3x3 stride 1 valid', xShape: nhwc, filterShape: f3x3, strides: [1, 1], pad: 'valid' },
  { name: '3x3 strides [2, 1] valid', xShape: nhwc, filterShape: f3x3, strides: [2, 1], pad: 'valid' },
  { name: '2x3 stride 1 same', xShape: nhwc, filterShape: f2x3, strides: [1, 1], pad: 'same' },
  { name: '2x3 stride 2 valid', xShape: nhwc, filterShape: f2x3, strides: [2, 2], pad: 'valid' },
  { name: '2x3 strides [2, 1] same', xShape: nhwc, filterShape: f2x3, strides: [2, 1], pad: 'same' },
  { name: '3x3 stride 2 explicit padding', xShape: nhwc, filterShape: f3x3, strides: [2, 2], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: '2x3 stride 1 explicit padding', xShape: nhwc, filterShape: f2x3, strides: [1, 1], pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
];

const channelsFirstCases: ConvCase[] = [
  { name: 'NCHW 3x3 stride 2 same', xShape: [3, 2, 7, 5], filterShape: f3x3, strides: [2, 2], pad: 'same' },
  { name: 'NCHW 2x3 strides [2, 1] valid', xShape: [3, 2, 7, 5], filterShape: f2x3, strides: [2, 1], pad: 'valid' },
];

function expectClose(actual: Grads, expected: Grads): void {
  expect(relativeError(actual.dx, expected.dx), 'dx').to.be.at.most(TOLERANCE);
  expect(relativeError(actual.dW, expected.dW), 'dW').to.be.at.most(TOLERANCE);
}

describe('wasm convolution gradients (im2col + matmul)', () => {
  beforeEach(() => expect(tf.getBackend()).to.equal('wasm'));

  cases.forEach((c, index) => {
    it(`match the cpu backend: ${c.name}`, async () => {
      const seed = deriveSeed(77, index);
      const expected = await onBackend('cpu', () => convGrads(c, seed));
      expectClose(convGrads(c, seed), expected);
    });
  });

  channelsFirstCases.forEach((c, index) => {
    it(`fall back for channels-first data and match cpu: ${c.name}`, async () => {
      const seed = deriveSeed(78, index);
      const expected = await onBackend('cpu', () => channelsFirstGrads(c, seed));
      expectClose(channelsFirstGrads(c, seed), expected);
    });
  });

  it('leave tensors, bytes and wasm buffers unchanged across repeated gradient calls', () => {
    const x = tf.tensor4d(seededValues(3 * 7 * 5 * 2, 1), [3, 7, 5, 2]);
    const filter = tf.tensor4d(seededValues(2 * 3 * 2 * 3, 2), [2, 3, 2, 3]);
    const grads = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, [2, 1], 'same').square().sum());
    tf.dispose(grads([x, filter])); // first call: any one-off allocations happen here
    const before = { ...tf.memory(), buffers: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 5; i++) tf.dispose(grads([x, filter]));
    const after = { ...tf.memory(), buffers: tf.engine().backend.numDataIds() };
    expect([after.numTensors, after.numBytes, after.buffers]).to.deep.equal([before.numTensors, before.numBytes, before.buffers]);
    tf.dispose([x, filter]);
  });

  it('train a BatchNorm CNN for 3 SGD steps to the cpu backend losses (1e-4 relative)', async () => {
    const losses = (): number[] => {
      const batch = 4;
      const raw = {
        features: seededValues(batch * 28 * 28, 5),
        inputShape: [28, 28, 1],
        targets: Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10),
      };
      const data = toDataset(raw, { name: 'conv-check', task: 'classification', numClasses: 10 });
      const model = cnn({ batchNorm: true }).build({ inputShape: [28, 28, 1], outputs: 10 }, 0);
      const optimizer = tf.train.sgd(0.05);
      const ctx = { model, data, optimizer, variables: model.trainableWeights.map((w) => w.read() as tf.Variable) };
      const result: number[] = [];
      for (let step = 0; step < 3; step++) {
        const { loss, correct } = singleStep(ctx, null);
        result.push(loss.dataSync()[0]);
        tf.dispose([loss, correct as tf.Scalar]);
      }
      tf.dispose([data.x, data.y]);
      optimizer.dispose();
      model.dispose();
      return result;
    };
    const expected = await onBackend('cpu', losses);
    const actual = losses();
    expect(expected[2]).to.be.below(expected[0]);
    actual.forEach((loss, step) => expect(Math.abs(loss - expected[step]) / expected[step], `step ${step}`).to.be.at.most(1e-4));
  });
});
