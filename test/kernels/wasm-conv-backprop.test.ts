// Both convolution gradients on wasm (batchlab's im2col + matmul Conv2DBackpropFilter, and
// Conv2DBackpropInput by flipped-filter convolution or matmul + scatter) against the cpu backend's:
// odd shapes, the channels-first fallbacks, fresh filters on repeated calls, no leaked tensors or
// wasm buffers, and a BatchNorm CNN trained for three steps on each backend.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { cnn } from '../../models/cnn';
import { toDataset } from '../../src/data/dataset';
import { singleStep } from '../../src/training/step';
import { deriveSeed } from '../../src/util/random';
import { ConvCase, Shape4, onBackend, relativeError, seededValues } from '../helpers/kernel-reference';

interface Grads {
  dx: Float32Array;
  dW: Float32Array;
}

function outShape(c: ConvCase, dataFormat: 'NHWC' | 'NCHW' = 'NHWC'): Shape4 {
  return tf.backend_util.computeConv2DInfo(
    c.xShape,
    c.filterShape,
    c.strides,
    1,
    c.pad,
    undefined,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  ).outShape;
}

/** dL/dx and dL/dfilter for L = sum(conv2d(x, filter) * w), seeded values. */
function convGrads(c: ConvCase, seed: number): Grads {
  return tf.tidy(() => {
    const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), seed), c.xShape);
    const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), seed + 1), c.filterShape);
    const w = tf.tensor(seededValues(tf.util.sizeFromShape(outShape(c)), seed + 2), outShape(c));
    const grads = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
      tf
        .conv2d(a as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad)
        .mul(w)
        .sum(),
    );
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
      tf
        .engine()
        .runKernel<tf.Tensor>(name, inputs, { ...common, ...attrs })
        .dataSync<'float32'>();
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
  {
    name: '3x3 stride 2 explicit padding',
    xShape: nhwc,
    filterShape: f3x3,
    strides: [2, 2],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    name: '2x3 stride 1 explicit padding',
    xShape: nhwc,
    filterShape: f2x3,
    strides: [1, 1],
    pad: [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ],
  },
];

const channelsFirstCases: ConvCase[] = [
  { name: 'NCHW 3x3 stride 2 same', xShape: [3, 2, 7, 5], filterShape: f3x3, strides: [2, 2], pad: 'same' },
  { name: 'NCHW 2x3 strides [2, 1] valid', xShape: [3, 2, 7, 5], filterShape: f2x3, strides: [2, 1], pad: 'valid' },
];

/**
 * Cases for Conv2DBackpropInput alone, each named for the path it takes: stride 1 with at most 8
 * output channels per input channel (the flipped-filter convolution), stride 1 with more, or with
 * padding wider than the filter (the matmul path), and stride 2 (always the matmul path).
 */
const inputGradCases: ConvCase[] = [
  { name: '3x3 same, 5 -> 4 channels', xShape: [2, 9, 6, 5], filterShape: [3, 3, 5, 4], strides: [1, 1], pad: 'same' },
  {
    name: '3x3 valid, 3 -> 1 channel',
    xShape: [3, 7, 10, 3],
    filterShape: [3, 3, 3, 1],
    strides: [1, 1],
    pad: 'valid',
  },
  { name: '2x2 same, 2 -> 7 channels', xShape: [2, 6, 9, 2], filterShape: [2, 2, 2, 7], strides: [1, 1], pad: 'same' },
  {
    name: '2x2 valid, 4 -> 3 channels',
    xShape: [1, 5, 8, 4],
    filterShape: [2, 2, 4, 3],
    strides: [1, 1],
    pad: 'valid',
  },
  { name: '1x3 same, 6 -> 2 channels', xShape: [2, 4, 11, 6], filterShape: [1, 3, 6, 2], strides: [1, 1], pad: 'same' },
  {
    name: '3x2 explicit, 3 -> 5 channels',
    xShape: [2, 7, 6, 3],
    filterShape: [3, 2, 3, 5],
    strides: [1, 1],
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
  {
    name: '3x3 explicit, zero top and left',
    xShape: [2, 6, 5, 2],
    filterShape: [3, 3, 2, 3],
    strides: [1, 1],
    pad: [
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 0],
    ],
  },
  { name: '3x3 same, 1 -> 6 channels', xShape: [3, 8, 5, 1], filterShape: [3, 3, 1, 6], strides: [1, 1], pad: 'same' },
  { name: '2x2 valid, 1 -> 1 channel', xShape: [2, 5, 7, 1], filterShape: [2, 2, 1, 1], strides: [1, 1], pad: 'valid' },
  {
    name: '3x3 same, 1 -> 12 channels (matmul: too many per input channel)',
    xShape: [2, 6, 7, 1],
    filterShape: [3, 3, 1, 12],
    strides: [1, 1],
    pad: 'same',
  },
  {
    name: '2x3 explicit padding wider than the filter (matmul)',
    xShape: [2, 5, 6, 3],
    filterShape: [2, 3, 3, 4],
    strides: [1, 1],
    pad: [
      [0, 0],
      [3, 1],
      [0, 4],
      [0, 0],
    ],
  },
  {
    name: '3x3 stride 2 same, 3 -> 4 channels (matmul)',
    xShape: [2, 9, 6, 3],
    filterShape: [3, 3, 3, 4],
    strides: [2, 2],
    pad: 'same',
  },
  {
    name: '2x2 stride 2 valid, 1 -> 5 channels (matmul)',
    xShape: [3, 7, 8, 1],
    filterShape: [2, 2, 1, 5],
    strides: [2, 2],
    pad: 'valid',
  },
];

/** The Conv2DBackpropInput kernel's dx for seeded dy and filter: a tensor the caller disposes. */
function inputGradTensor(c: ConvCase, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), seed), c.filterShape);
    const dy = tf.tensor4d(seededValues(tf.util.sizeFromShape(outShape(c)), seed + 1), outShape(c));
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.xShape };
    return tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropInput, { dy, filter }, attrs);
  });
}

function inputGrad(c: ConvCase, seed: number): Float32Array {
  const dx = inputGradTensor(c, seed);
  try {
    return dx.dataSync() as Float32Array;
  } finally {
    dx.dispose();
  }
}

function expectClose(actual: Grads, expected: Grads): void {
  expect(relativeError(actual.dx, expected.dx), 'dx').to.be.at.most(TOLERANCE);
  expect(relativeError(actual.dW, expected.dW), 'dW').to.be.at.most(TOLERANCE);
}

describe('wasm convolution gradients', () => {
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

  inputGradCases.forEach((c, index) => {
    it(`compute dx like cpu, flipped-filter convolution or matmul path: ${c.name}`, async () => {
      const seed = deriveSeed(79, index);
      const expected = await onBackend('cpu', () => inputGrad(c, seed));
      expect(relativeError(inputGrad(c, seed), expected)).to.be.at.most(TOLERANCE);
    });
  });

  it("give dx the input's shape where no window reads its last column (a numeric pad's width sized by the filter's height)", () => {
    // tfjs sizes the output of pad 0 with the filter's height (2): one column of width 2 is read,
    // by the 1-wide filter; the other column's gradient is 0.
    const dy = tf.tensor4d([1, 2, 3], [1, 3, 1, 1]);
    const filter = tf.tensor4d([10, 100], [2, 1, 1, 1]);
    const attrs = { strides: 1, pad: 0, dimRoundingMode: 'round', dataFormat: 'NHWC', inputShape: [1, 4, 2, 1] };
    const dx = tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropInput, { dy, filter }, attrs);
    expect(dx.shape).to.deep.equal([1, 4, 2, 1]);
    expect(Array.from(dx.dataSync())).to.deep.equal([10, 0, 120, 0, 230, 0, 300, 0]);
    tf.dispose([dy, filter, dx]);
  });

  it("keep a NaN of dy as NaN (wasm's own Conv2D gives -Infinity for it through a 1 x 1 filter)", () => {
    const dy = tf.tensor4d([1, NaN, -2, 3], [1, 2, 2, 1]);
    const filter = tf.tensor4d([-1.5], [1, 1, 1, 1]);
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [1, 2, 2, 1] };
    const dx = tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropInput, { dy, filter }, attrs);
    expect(Array.from(dx.dataSync())).to.deep.equal([-1.5, NaN, 3, -4.5]);
    tf.dispose([dy, filter, dx]);
  });

  it('use each new filter, not a cached XNNPACK operator, when called again with other values', async () => {
    // Same shapes every call, so the flipped filters are freed and reallocated alike; a stale
    // operator (cached for an earlier W') would give the earlier call's dx.
    const c = inputGradCases[0];
    const seeds = [11, 12, 13, 11];
    const expected = await onBackend('cpu', () => seeds.map((seed) => inputGrad(c, seed)));
    seeds.forEach((seed, call) =>
      expect(relativeError(inputGrad(c, seed), expected[call]), `call ${call}`).to.be.at.most(TOLERANCE),
    );
  });

  it('leave tensors, bytes and wasm buffers unchanged across repeated flipped-filter calls', () => {
    const c = inputGradCases[0];
    tf.dispose(inputGradTensor(c, 1)); // first call: any one-off allocations happen here
    const before = { ...tf.memory(), buffers: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 5; i++) tf.dispose(inputGradTensor(c, 2 + i));
    const after = { ...tf.memory(), buffers: tf.engine().backend.numDataIds() };
    expect([after.numTensors, after.numBytes, after.buffers]).to.deep.equal([
      before.numTensors,
      before.numBytes,
      before.buffers,
    ]);
  });

  it('leave tensors, bytes and wasm buffers unchanged across repeated gradient calls', () => {
    const x = tf.tensor4d(seededValues(3 * 7 * 5 * 2, 1), [3, 7, 5, 2]);
    const filter = tf.tensor4d(seededValues(2 * 3 * 2 * 3, 2), [2, 3, 2, 3]);
    const grads = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
      tf
        .conv2d(a as tf.Tensor4D, f as tf.Tensor4D, [2, 1], 'same')
        .square()
        .sum(),
    );
    tf.dispose(grads([x, filter])); // first call: any one-off allocations happen here
    const before = { ...tf.memory(), buffers: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 5; i++) tf.dispose(grads([x, filter]));
    const after = { ...tf.memory(), buffers: tf.engine().backend.numDataIds() };
    expect([after.numTensors, after.numBytes, after.buffers]).to.deep.equal([
      before.numTensors,
      before.numBytes,
      before.buffers,
    ]);
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
        const { loss, correct } = singleStep(
          ctx,
          Int32Array.from({ length: batch }, (_, i) => i),
        );
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
    actual.forEach((loss, step) =>
      expect(Math.abs(loss - expected[step]) / expected[step], `step ${step}`).to.be.at.most(1e-4),
    );
  });
});
