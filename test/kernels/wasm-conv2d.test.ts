// The wasm Conv2D override (gathered patches times the filter, src/kernels/wasm/conv2d.ts) against
// the cpu backend's Conv2D on shapes that exercise its edges: strides, paddings, one input
// channel, output positions past one block of 256 and not a multiple of the 4-row tile.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from '../../src/kernels/wasm';
import { deriveSeed } from '../../src/util/random';
import { ConvCase, onBackend, relativeError, seededValues } from '../helpers/kernel-reference';

const TOLERANCE = 1e-5;

const cases: ConvCase[] = [
  { name: '3x3 stride 1 same', xShape: [3, 7, 5, 2], filterShape: [3, 3, 2, 3], strides: [1, 1], pad: 'same' },
  { name: '3x3 stride 2 valid', xShape: [3, 7, 5, 2], filterShape: [3, 3, 2, 3], strides: [2, 2], pad: 'valid' },
  { name: '2x3 strides [2, 1] same', xShape: [2, 6, 9, 3], filterShape: [2, 3, 3, 4], strides: [2, 1], pad: 'same' },
  {
    name: '3x3 explicit uneven padding',
    xShape: [2, 8, 8, 3],
    filterShape: [3, 3, 3, 9],
    strides: [1, 1],
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  {
    name: '5x5 one channel, stride 2 same',
    xShape: [1, 9, 9, 1],
    filterShape: [5, 5, 1, 3],
    strides: [2, 2],
    pad: 'same',
  },
  { name: '1x1', xShape: [4, 6, 6, 5], filterShape: [1, 1, 5, 7], strides: [1, 1], pad: 'valid' },
  // 3 x 29 x 29 = 2523 output positions: ten blocks of 256, the last tile three rows short.
  {
    name: '3x3 same, 2523 positions',
    xShape: [3, 29, 29, 4],
    filterShape: [3, 3, 4, 10],
    strides: [1, 1],
    pad: 'same',
  },
  {
    name: '3x3 same, 16 -> 32 channels',
    xShape: [8, 14, 14, 16],
    filterShape: [3, 3, 16, 32],
    strides: [1, 1],
    pad: 'same',
  },
];

function convolve(c: ConvCase, seed: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), seed), c.xShape);
    const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), seed + 1), c.filterShape);
    return tf.conv2d(x, filter, c.strides, c.pad).dataSync<'float32'>();
  });
}

describe('wasm Conv2D', () => {
  before(() => registerWasmTrainingKernels());

  cases.forEach((c, index) => {
    it(`matches the cpu backend: ${c.name}`, async () => {
      const seed = deriveSeed(4242, index);
      const expected = await onBackend('cpu', () => convolve(c, seed));
      const actual = convolve(c, seed);
      expect(tf.getBackend()).to.equal('wasm');
      expect(relativeError(actual, expected)).to.be.at.most(TOLERANCE);
    });
  });

  it("adds a convolution layer's bias and ReLU like the cpu backend (FusedConv2D)", async () => {
    const c = cases[cases.length - 1];
    for (const activation of ['relu', 'linear'] as const) {
      const fused = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), 7), c.xShape);
          const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), 8), c.filterShape);
          const bias = tf.tensor1d(seededValues(c.filterShape[3], 9));
          return tf.fused.conv2d({ x, filter, strides: c.strides, pad: c.pad, bias, activation }).dataSync<'float32'>();
        });
      const expected = await onBackend('cpu', fused);
      const actual = fused();
      expect(relativeError(actual, expected), activation).to.be.at.most(TOLERANCE);
      if (activation === 'relu') expect(actual.some((v) => v === 0) && actual.every((v) => v >= 0)).to.equal(true);
    }
  });

  it('gives zeros for a filter over no input channels (an empty sum)', () => {
    const y = tf.conv2d(tf.ones<tf.Rank.R4>([1, 3, 3, 0]), tf.ones<tf.Rank.R4>([2, 2, 0, 2]), 1, 'same');
    expect(Array.from(y.dataSync())).to.deep.equal(new Array(18).fill(0));
    y.dispose();
  });

  it('frees its scratch: the backend holds no more data after repeated calls', () => {
    const x = tf.tensor4d(seededValues(8 * 14 * 14 * 16, 1), [8, 14, 14, 16]);
    const filter = tf.tensor4d(seededValues(3 * 3 * 16 * 32, 2), [3, 3, 16, 32]);
    const grads = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same').sum(),
    );
    const step = () =>
      tf.tidy(() => {
        grads([x, filter]);
      });
    step();
    const before = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
    for (let i = 0; i < 3; i++) step();
    expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).to.deep.equal(before);
    tf.dispose([x, filter]);
  });
});
