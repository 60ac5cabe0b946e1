// Convolutions whose filter rows are short runs (fw x inC below 8 floats, e.g. a 3x3 filter on one
// channel) and whose output channels are a multiple of 8 read their input in place instead of
// gathering patches: Conv2D (mat-mul.wat's convBlockDirect) and the filter gradient
// (filterGradBlockDirect, over a copy of the input with its padding made real). Their sums must be
// the gathered path's bit for bit: Conv2D against the gemm kernel over columns gathered in
// TypeScript, the filter gradient against the same slots gathered from the unpadded input, on
// geometries that put four-position tiles across output rows and the padding, and a last tile
// short of four positions.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from '../../src/kernels/wasm';
import { simdKernels } from '../../src/kernels/wasm/simd/instance';
import { ConvGeometry, convGeometry } from '../../src/kernels/wasm/simd/conv-geometry';
import { FILTER_GRAD_SLOTS, convScratchFloats, paddedToTile } from '../../src/kernels/wasm/simd/threaded';
import type { ArrayBackend } from '../../src/kernels/kernel-call';
import { ConvCase, heapAddress as address, seededValues } from '../helpers/kernel-reference';

const cases: ConvCase[] = [
  // 3 x 13 x 11 = 429 positions: rows of 11 cut the four-position tiles, and the last tile is one.
  {
    name: '3x3 one channel, same, 16 outputs',
    xShape: [3, 13, 11, 1],
    filterShape: [3, 3, 1, 16],
    strides: [1, 1],
    pad: 'same',
  },
  // 4 x 30 x 30 = 3600 positions: each of the 8 filter-gradient slots sums 450, in two blocks.
  {
    name: '3x3 one channel, same, 8 outputs, two blocks a slot',
    xShape: [4, 30, 30, 1],
    filterShape: [3, 3, 1, 8],
    strides: [1, 1],
    pad: 'same',
  },
  // 'same' with an even filter pads after the input only: a copy with no offset.
  {
    name: '2x2 one channel, same, 8 outputs',
    xShape: [2, 9, 8, 1],
    filterShape: [2, 2, 1, 8],
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

  cases
    .filter((c) => c.pad !== 'valid')
    .forEach((c, index) => {
      it(`sums the filter gradient's slots from the padded copy bit for bit as gathered: ${c.name}`, () => {
        const backend = tf.backend() as unknown as ArrayBackend;
        const kernels = simdKernels(backend)!;
        const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.strides, 1, c.pad);
        const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
        const k = filterHeight * filterWidth * inChannels;
        const m = batchSize * outHeight * outWidth;
        const slotSize = paddedToTile(k) * info.outChannels;
        const pH = Math.max(info.padInfo.top + inHeight, (outHeight - 1) * info.strideHeight + filterHeight);
        const pW = Math.max(info.padInfo.left + inWidth, (outWidth - 1) * info.strideWidth + filterWidth);
        const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), 40 + index), c.xShape);
        const dy = tf.tensor4d(seededValues(tf.util.sizeFromShape(info.outShape), 50 + index), info.outShape);
        const [xp, cols, untouched, gathered, inPlace] = [
          [batchSize * pH * pW * inChannels],
          [convScratchFloats(k)],
          [convScratchFloats(k)],
          [FILTER_GRAD_SLOTS * slotSize],
          [FILTER_GRAD_SLOTS * slotSize],
        ].map((shape) => tf.fill(shape, NaN));
        const slots = (input: tf.Tensor, partials: tf.Tensor, scratch: tf.Tensor, geometry: ConvGeometry) =>
          kernels.convFilterGradSlots(
            address(input),
            address(dy),
            address(partials),
            address(scratch),
            0,
            FILTER_GRAD_SLOTS,
            FILTER_GRAD_SLOTS,
            m,
            ...geometry,
          );
        const geometry = convGeometry(info);
        slots(x, gathered, cols, geometry);
        kernels.padInput(
          address(x),
          address(xp),
          batchSize,
          inHeight,
          inWidth,
          inChannels,
          pH,
          pW,
          info.padInfo.top,
          info.padInfo.left,
        );
        const [, , , outH, outW, outC, fh, fw, sh, sw] = geometry;
        slots(xp, inPlace, untouched, [pH, pW, inChannels, outH, outW, outC, fh, fw, sh, sw, 0, 0]);
        // Read in place: no patch was gathered into the scratch.
        expect(untouched.dataSync().every(Number.isNaN)).to.equal(true);
        expect(Array.from(inPlace.dataSync())).to.deep.equal(Array.from(gathered.dataSync()));
        tf.dispose([x, dy, xp, cols, untouched, gathered, inPlace]);
      });
    });

  it('reads tiles of four positions inside one output row in place: the column scratch stays untouched', () => {
    // 'valid', 8 x 8 outputs: every tile of four lies in one output row, inside the input.
    const backend = tf.backend() as unknown as ArrayBackend;
    const kernels = simdKernels(backend)!;
    const c: ConvCase = { name: '', xShape: [2, 10, 10, 1], filterShape: [3, 3, 1, 8], strides: [1, 1], pad: 'valid' };
    const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.strides, 1, c.pad);
    const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), 61), c.xShape);
    const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filterShape), 62), c.filterShape);
    const cols = gatheredColumns(x.dataSync() as Float32Array, info);
    const m = cols.length / 9;
    const [colsTensor, product, out, scratch] = [
      tf.tensor1d(cols),
      tf.zeros([m * 8]),
      tf.zeros([m * 8]),
      tf.fill([convScratchFloats(9)], NaN),
    ];
    kernels.gemm(address(colsTensor), address(filter), address(product), m, 9, 8, 9, 1, 0);
    kernels.convRows(address(x), address(filter), address(out), address(scratch), 0, m, ...convGeometry(info), 0, 0);
    expect(Array.from(out.dataSync())).to.deep.equal(Array.from(product.dataSync()));
    expect(scratch.dataSync().every(Number.isNaN)).to.equal(true);
    tf.dispose([x, filter, colsTensor, product, out, scratch]);
  });
});
