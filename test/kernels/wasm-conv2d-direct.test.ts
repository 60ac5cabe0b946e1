// Convolutions whose filter rows are short runs (fw x inC below 8 floats, e.g. a 3x3 filter on one
// channel) and whose output channels are a multiple of 8 read the input in place (mat-mul.wat's
// convBlockDirect) instead of gathering patches. Their sums must be the gathered path's bit for
// bit: here against the same product made by the gemm kernel over columns gathered in TypeScript,
// on geometries that put four-position tiles across output rows and the padding, and a last tile
// short of four positions.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from '../../src/kernels/wasm';
import { simdKernels } from '../../src/kernels/wasm/simd/instance';
import type { ArrayBackend } from '../../src/kernels/kernel-call';
import { ConvCase, seededValues } from '../helpers/kernel-reference';

const cases: ConvCase[] = [
  // 3 x 13 x 11 = 429 positions: rows of 11 cut the four-position tiles, and the last tile is one.
  {
    name: '3x3 one channel, same, 16 outputs',
    xShape: [3, 13, 11, 1],
    filterShape: [3, 3, 1, 16],
    strides: [1, 1],
    pad: 'same',
  },
  {
    name: '3x3 two channels, stride 2, valid, 8 outputs',
    xShape: [2, 15, 17, 2],
    filterShape: [3, 3, 2, 8],
    strides: [2, 2],
    pad: 'valid',
  },
  {
    name: '2x2 one channel, uneven padding, strides [1, 2], 24 outputs',
    xShape: [2, 9, 10, 1],
    filterShape: [2, 2, 1, 24],
    strides: [1, 2],
    pad: [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
  },
  // 2 x 28 x 28 = 1568 positions: more than one block of 256.
  {
    name: '5x1 one channel, same, 8 outputs',
    xShape: [2, 28, 28, 1],
    filterShape: [5, 1, 1, 8],
    strides: [1, 1],
    pad: 'same',
  },
];

/** The convolution's patches as rows of K = fh * fw * inC floats, in the filter's [r, c, i] order, 0 in padding. */
function gatheredColumns(x: Float32Array, info: tf.backend_util.Conv2DInfo): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const k = filterHeight * filterWidth * inChannels;
  const cols = new Float32Array(batchSize * outHeight * outWidth * k);
  let at = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        for (let r = 0; r < filterHeight; r++) {
          for (let c = 0; c < filterWidth; c++) {
            const y = oy * info.strideHeight + r - info.padInfo.top;
            const xx = ox * info.strideWidth + c - info.padInfo.left;
            const inside = y >= 0 && y < inHeight && xx >= 0 && xx < inWidth;
            for (let i = 0; i < inChannels; i++) {
              cols[at++] = inside ? x[((b * inHeight + y) * inWidth + xx) * inChannels + i] : 0;
            }
          }
        }
      }
    }
  }
  return cols;
}

describe('wasm Conv2D read in place (short filter rows)', () => {
  before(() => registerWasmTrainingKernels());

  cases.forEach((c, index) => {
    it(`is the gathered product bit for bit, with and without bias and ReLU: ${c.name}`, () => {
      const backend = tf.backend() as unknown as ArrayBackend;
      const kernels = simdKernels(backend)!;
      const address = (t: tf.Tensor) =>
        backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }).byteOffset;
      const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.strides, 1, c.pad);
      const outC = c.filterShape[3];
      const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), 10 + index), c.xShape);
      const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), 20 + index), c.filterShape);
      const bias = tf.tensor1d(seededValues(outC, 30 + index));
      const cols = gatheredColumns(x.dataSync() as Float32Array, info);
      const m = cols.length / (info.filterHeight * info.filterWidth * info.inChannels);
      const k = cols.length / m;
      const colsTensor = tf.tensor1d(cols);
      for (const withBias of [false, true]) {
        // gemm adds into what c holds when acc is set: each row starts from the bias, as convRows' does.
        const start = withBias
          ? Array.from({ length: m }, () => Array.from(bias.dataSync())).flat()
          : new Array(m * outC).fill(0);
        const product = tf.tensor1d(start);
        kernels.gemm(address(colsTensor), address(filter), address(product), m, k, outC, k, 1, withBias ? 1 : 0);
        const gathered = product.dataSync() as Float32Array;
        for (const activation of ['linear', 'relu'] as const) {
          const y = tf.fused.conv2d({
            x,
            filter,
            strides: c.strides,
            pad: c.pad,
            bias: withBias ? bias : undefined,
            activation,
          });
          const expected = activation === 'relu' ? gathered.map((v) => Math.max(0, v)) : gathered;
          expect(y.shape).to.deep.equal(info.outShape);
          expect(Array.from(y.dataSync()), `${withBias ? 'bias' : 'no bias'}, ${activation}`).to.deep.equal(
            Array.from(expected),
          );
          y.dispose();
        }
        product.dispose();
      }
      tf.dispose([x, filter, bias, colsTensor]);
    });
  });
});
