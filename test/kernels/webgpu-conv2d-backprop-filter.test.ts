// batchlab's Conv2DBackpropFilter for webgpu (positions cut into slices, partial sums added in slice
// order) against tfjs' stock cpu kernel, on odd geometries and on slices that cross images and end
// short; channels-first goes to tfjs' own webgpu kernel. Runs on lavapipe in CI.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import { STOCK_CPU } from '../helpers/stock-cpu';
import { Pad, Shape4, relativeError, seededValues } from '../helpers/kernel-reference';
import { onWebGpu } from '../helpers/webgpu-suite';

interface FilterCase {
  name: string;
  xShape: Shape4;
  filterShape: Shape4;
  strides: [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
}

const cases: FilterCase[] = [
  { name: '3x3 stride 1 same', xShape: [3, 7, 5, 2], filterShape: [3, 3, 2, 3], strides: [1, 1], pad: 'same' },
  { name: '3x3 stride 2 same', xShape: [3, 7, 5, 2], filterShape: [3, 3, 2, 3], strides: [2, 2], pad: 'same' },
  { name: '2x3 strides [2, 1] valid', xShape: [3, 7, 5, 2], filterShape: [2, 3, 2, 3], strides: [2, 1], pad: 'valid' },
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
  },
  // 1001 positions in 15 slices of 67 (the last of 63), each crossing images of 143 positions.
  {
    name: 'slices across images, one short',
    xShape: [7, 13, 11, 2],
    filterShape: [3, 3, 2, 4],
    strides: [1, 1],
    pad: 'same',
  },
  // The CNN's first layer: one input channel, 16 filters.
  { name: 'one input channel', xShape: [16, 28, 28, 1], filterShape: [3, 3, 1, 16], strides: [1, 1], pad: 'same' },
  {
    name: 'NCHW (tfjs kernel)',
    xShape: [3, 2, 7, 5],
    filterShape: [3, 3, 2, 3],
    strides: [2, 2],
    pad: 'same',
    dataFormat: 'NCHW',
  },
];

/** dW on the active backend for seeded x and dy. */
async function filterGrad(c: FilterCase): Promise<Float32Array> {
  const dataFormat = c.dataFormat ?? 'NHWC';
  const info = tf.backend_util.computeConv2DInfo(
    c.xShape,
    c.filterShape,
    c.strides,
    1,
    c.pad,
    undefined,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.xShape), 1), c.xShape);
  const dy = tf.tensor4d(seededValues(tf.util.sizeFromShape(info.outShape), 2), info.outShape);
  const attrs = { strides: c.strides, pad: c.pad, dataFormat, filterShape: c.filterShape };
  const dW = tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x, dy }, attrs);
  try {
    return (await dW.data()) as Float32Array;
  } finally {
    tf.dispose([x, dy, dW]);
  }
}

describe('Conv2DBackpropFilter (webgpu)', function () {
  this.timeout(180000);
  onWebGpu();

  it("equals stock cpu's to 1e-5 on every geometry", async () => {
    const reference: Float32Array[] = [];
    await tf.setBackend(STOCK_CPU);
    for (const c of cases) reference.push(await filterGrad(c));
    await useBackend('webgpu');
    for (const [i, c] of cases.entries()) {
      const actual = await filterGrad(c);
      expect(actual.length, c.name).to.equal(reference[i].length);
      expect(relativeError(actual, reference[i]), c.name).to.be.below(1e-5);
    }
  });

  it('replaces the stock kernel, and kernels: false puts it back', async () => {
    const ours = tf.getKernel('Conv2DBackpropFilter', 'webgpu')?.kernelFunc;
    await useBackend('webgpu', { kernels: false });
    const stock = tf.getKernel('Conv2DBackpropFilter', 'webgpu')?.kernelFunc;
    expect(stock).to.not.equal(undefined);
    expect(stock).to.not.equal(ours);
    await useBackend('webgpu');
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')?.kernelFunc).to.not.equal(stock);
  });
});
