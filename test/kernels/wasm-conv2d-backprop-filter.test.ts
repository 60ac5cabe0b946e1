// The wasm Conv2DBackpropFilter kernel against the cpu backend's (the reference), on odd shapes,
// plus a tensor-leak check and one small CNN trained on wasm.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../src/kernels/wasm';
import { deriveSeed } from '../../src/util/random';
import { ConvCase, Shape4, onBackend, relativeError, seededValues } from '../helpers/kernel-reference';

interface GradCase extends ConvCase {
  dataFormat: 'NHWC' | 'NCHW';
}

const TOLERANCE = 1e-5;

function dyShape(c: GradCase): Shape4 {
  const info = tf.backend_util.computeConv2DInfo(
    c.xShape,
    c.filterShape,
    c.strides,
    1,
    c.pad,
    undefined,
    false,
    tf.backend_util.convertConv2DDataFormat(c.dataFormat),
  );
  return info.outShape;
}

/**
 * dL/dfilter for L = sum(conv2d(x, filter) * w): through tf.grad for NHWC; for NCHW straight from the
 * kernel, because wasm's forward Conv2D rejects NCHW (cpu's accepts it) and its gradient is dy = w.
 */
function filterGrad(c: GradCase, seed: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), seed), c.xShape);
    const outShape = dyShape(c);
    const w = tf.tensor4d(seededValues(tf.util.sizeFromShape(outShape), seed + 1), outShape);
    if (c.dataFormat === 'NCHW') {
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, filterShape: c.filterShape };
      const dW = tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x, dy: w }, attrs);
      return dW.dataSync<'float32'>();
    }
    const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), seed + 2), c.filterShape);
    const grad = tf.grad((f: tf.Tensor) =>
      tf
        .conv2d(x, f as tf.Tensor4D, c.strides, c.pad)
        .mul(w)
        .sum(),
    );
    return grad(filter).dataSync() as Float32Array;
  });
}

const cases: GradCase[] = [
  {
    name: '3x3 stride 1 same',
    xShape: [3, 7, 5, 2],
    filterShape: [3, 3, 2, 3],
    strides: [1, 1],
    pad: 'same',
    dataFormat: 'NHWC',
  },
  {
    name: '3x3 stride 2 same',
    xShape: [3, 7, 5, 2],
    filterShape: [3, 3, 2, 3],
    strides: [2, 2],
    pad: 'same',
    dataFormat: 'NHWC',
  },
  {
    name: '3x3 stride 1 valid',
    xShape: [3, 7, 5, 2],
    filterShape: [3, 3, 2, 3],
    strides: [1, 1],
    pad: 'valid',
    dataFormat: 'NHWC',
  },
  {
    name: '2x3 stride 2 valid',
    xShape: [3, 7, 5, 2],
    filterShape: [2, 3, 2, 3],
    strides: [2, 2],
    pad: 'valid',
    dataFormat: 'NHWC',
  },
  {
    name: '2x3 strides [2, 1] same',
    xShape: [3, 7, 5, 2],
    filterShape: [2, 3, 2, 3],
    strides: [2, 1],
    pad: 'same',
    dataFormat: 'NHWC',
  },
  {
    name: '3x3 stride 2 explicit padding',
    xShape: [3, 7, 5, 2],
    filterShape: [3, 3, 2, 3],
    strides: [2, 2],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  },
  {
    // 3200 output positions: each of the 8 slots sums 400, in two blocks of columns.
    name: '3x3 stride 1 same, many positions',
    xShape: [8, 20, 20, 3],
    filterShape: [3, 3, 3, 5],
    strides: [1, 1],
    pad: 'same',
    dataFormat: 'NHWC',
  },
  {
    // 4 output positions: 4 of the 8 slots are empty.
    name: '3x3 stride 1 same, fewer positions than slots',
    xShape: [1, 2, 2, 1],
    filterShape: [3, 3, 1, 2],
    strides: [1, 1],
    pad: 'same',
    dataFormat: 'NHWC',
  },
  // Filter rows of short runs and output channels in eights: read in place (after a padded copy).
  {
    name: '3x3 one channel same, 16 outputs',
    xShape: [5, 13, 11, 1],
    filterShape: [3, 3, 1, 16],
    strides: [1, 1],
    pad: 'same',
    dataFormat: 'NHWC',
  },
  {
    name: '2x2 two channels stride 2 valid, 8 outputs (no padding to copy)',
    xShape: [3, 10, 9, 2],
    filterShape: [2, 2, 2, 8],
    strides: [2, 2],
    pad: 'valid',
    dataFormat: 'NHWC',
  },
  {
    name: '5x1 one channel, uneven padding, strides [2, 1], 24 outputs',
    xShape: [2, 9, 7, 1],
    filterShape: [5, 1, 1, 24],
    strides: [2, 1],
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  },
  {
    name: '3x3 one channel same, 8 outputs, fewer positions than slots',
    xShape: [1, 2, 2, 1],
    filterShape: [3, 3, 1, 8],
    strides: [1, 1],
    pad: 'same',
    dataFormat: 'NHWC',
  },
  {
    name: 'NCHW 3x3 stride 2 same',
    xShape: [3, 2, 7, 5],
    filterShape: [3, 3, 2, 3],
    strides: [2, 2],
    pad: 'same',
    dataFormat: 'NCHW',
  },
  {
    name: 'NCHW 2x3 stride 1 valid',
    xShape: [3, 2, 7, 5],
    filterShape: [2, 3, 2, 3],
    strides: [1, 1],
    pad: 'valid',
    dataFormat: 'NCHW',
  },
];

describe('wasm Conv2DBackpropFilter', () => {
  before(() => registerWasmTrainingKernels());
  // The pack stays registered afterwards, as useBackend leaves it for the rest of the suite.

  it('is missing from wasm 4.22 and registered once by the pack', () => {
    unregisterWasmTrainingKernels();
    const x = tf.ones([1, 3, 3, 1]);
    const filter = tf.ones([2, 2, 1, 1]);
    const grad = tf.grad((f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid').sum());
    expect(() => grad(filter)).to.throw(/Conv2DBackpropFilter.*not registered.*wasm/);
    expect(registerWasmTrainingKernels()).to.deep.equal([
      'Conv2DBackpropFilter',
      'BatchlabDenseForward',
      'BatchlabDenseBackward',
      'BatchlabMovingAverages',
      'BatchlabBatchNormTraining',
      'BatchlabBatchNormTrainingGrad',
      'BatchlabAdamUpdate',
      'BatchlabSoftmaxCrossEntropy',
      'BatchlabSoftmaxCrossEntropyGrad',
      'BatchlabReluGrad',
      'BatchMatMul',
      'GatherV2',
      'Tile',
      'MaxPool',
      'MaxPoolGrad',
      'Sum',
      'Mean',
      'Conv2D',
      'FusedConv2D',
      'Conv2DBackpropInput',
      'Identity',
      '_FusedMatMul',
      'Relu',
    ]);
    expect(registerWasmTrainingKernels()).to.deep.equal([]);
    const dW = grad(filter);
    expect(Array.from(dW.dataSync())).to.deep.equal([4, 4, 4, 4]);
    tf.dispose([x, filter, dW]);
  });

  cases.forEach((c, index) => {
    it(`matches the cpu backend: ${c.name}`, async () => {
      const seed = deriveSeed(2024, index);
      const expected = await onBackend('cpu', () => filterGrad(c, seed));
      const actual = filterGrad(c, seed);
      expect(tf.getBackend()).to.equal('wasm');
      expect(relativeError(actual, expected)).to.be.at.most(TOLERANCE);
    });
  });

  it("gives stock's infinities, not NaN, for an infinite dy whose taps partly fall in the padding", () => {
    // 3 x 3 filter, 'same' padding over a 2 x 2 input of ones: dW[r, c] sums the dy whose tap (r, c)
    // lands inside the input; the taps in the padding must add nothing, not 0 x Infinity.
    const x = tf.ones([1, 2, 2, 1]);
    const dy = tf.tensor4d([Infinity, 1, 2, 3], [1, 2, 2, 1]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 1] };
    const dW = tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x, dy }, attrs);
    expect(Array.from(dW.dataSync())).to.deep.equal([3, 5, 2, 4, Infinity, Infinity, 1, Infinity, Infinity]);
    tf.dispose([x, dy, dW]);
  });

  it('gives an empty gradient for a filter with no output channels, and the heap stays whole', () => {
    // Short filter rows would take the in-place path, whose tiles are 8 channels wide.
    const x = tf.ones([1, 5, 5, 1]);
    const dy = tf.zeros([1, 3, 3, 0]);
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 1, 0] };
    for (let i = 0; i < 20; i++) {
      const dW = tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x, dy }, attrs);
      expect(dW.shape).to.deep.equal([3, 3, 1, 0]);
      dW.dispose();
      // Writes past the empty slots would land in the heap's bookkeeping: the next calls would fail.
      expect(tf.tidy(() => tf.range(0, 1000).add(1).sum().dataSync()[0])).to.equal(500500);
    }
    tf.dispose([x, dy]);
  });

  it('leaves tf.memory().numTensors unchanged across repeated gradient calls', () => {
    const x = tf.tensor4d(seededValues(3 * 7 * 5 * 2, 1), [3, 7, 5, 2]);
    const filter = tf.tensor4d(seededValues(3 * 3 * 2 * 3, 2), [3, 3, 2, 3]);
    const grads = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
      tf
        .conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'same')
        .square()
        .sum(),
    );
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      tf.tidy(() => {
        grads([x, filter]);
      });
    }
    expect(tf.memory().numTensors).to.equal(before);
    tf.dispose([x, filter]);
  });

  it('trains a small CNN on wasm: loss decreases over 5 SGD steps', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [7, 5, 2],
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
        }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
      ],
    });
    const xs = tf.tensor4d(seededValues(6 * 7 * 5 * 2, 3), [6, 7, 5, 2]);
    const ys = tf.tensor2d(seededValues(6 * 2, 4), [6, 2]);
    const optimizer = tf.train.sgd(0.02);
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      const loss = optimizer.minimize(() => tf.losses.meanSquaredError(ys, model.predict(xs) as tf.Tensor2D), true);
      losses.push(loss!.dataSync()[0]);
      loss!.dispose();
    }
    for (let step = 1; step < 5; step++) expect(losses[step]).to.be.below(losses[step - 1]);
    tf.dispose([xs, ys]);
    optimizer.dispose();
    model.dispose();
  });
});
