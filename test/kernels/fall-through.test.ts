// The wasm pack's replacements hand what they do not handle (dtypes, axes, layouts, activations,
// empty outputs) to the stock kernel they replaced: each case below runs with a counting wrapper
// in place of the stock kernel, registered before the pack so that the pack wraps it, and gives
// stock cpu's result (../helpers/stock-cpu).
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../src/backend';
import { KernelCase, Operand, difference, outcomeOf } from '../helpers/fuzz';
import { STOCK_CPU, runOn } from '../helpers/stock-cpu';

const f32 = (shape: number[]): Operand => ({
  values: Array.from({ length: tf.util.sizeFromShape(shape) }, (_, i) => Math.fround(Math.sin(i + 1))),
  shape,
  dtype: 'float32',
});
const i32 = (shape: number[]): Operand => ({
  ...f32(shape),
  values: f32(shape).values.map((v) => Math.round(4 * v)),
  dtype: 'int32',
});

const withInfinity = (o: Operand): Operand => ({ ...o, values: [Infinity, ...o.values.slice(1)] });
/** A 3x3, 2 -> 3 channel convolution of a [2, 5, 5, 2] input; with a bias for FusedConv2D. */
const conv = (attrs: Record<string, unknown>, filter = f32([3, 3, 2, 3])): KernelCase => ({
  inputs: { x: f32([2, 5, 5, 2]), filter },
  attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, ...attrs },
});
const fusedConv = (attrs: Record<string, unknown>): KernelCase => {
  const c = conv(attrs);
  return { ...c, inputs: { ...c.inputs, bias: f32([3]) } };
};

/** Kernel, case, and whether the stock kernel should run (false: the pack's own path). */
const cases: [string, KernelCase, boolean][] = [
  ['Conv2D', conv({}), false],
  ['Conv2D', conv({ dilations: 2 }), true],
  ['Conv2D', conv({ pad: 'valid' }, withInfinity(f32([3, 3, 2, 3]))), true],
  ['FusedConv2D', fusedConv({ activation: 'relu' }), false],
  ['FusedConv2D', fusedConv({ activation: 'elu' }), true],
  ['FusedConv2D', fusedConv({ activation: 'relu', dilations: 2 }), true],
  ['Tile', { inputs: { x: f32([3]) }, attrs: { reps: [0] } }, true],
  ['Tile', { inputs: { x: f32([2, 3]) }, attrs: { reps: [2, 1] } }, false],
  [
    'GatherV2',
    {
      inputs: { x: f32([3, 4]), indices: { values: [3, 0], shape: [2], dtype: 'int32' } },
      attrs: { axis: 1, batchDims: 0 },
    },
    true,
  ],
  ['Sum', { inputs: { x: i32([3, 4]) }, attrs: { axis: [0], keepDims: false } }, true],
  ['Relu', { inputs: { x: i32([3, 4]) }, attrs: {} }, true],
  ['Relu', { inputs: { x: f32([3, 5]) }, attrs: {} }, false],
  ['Mean', { inputs: { x: f32([3, 4]) }, attrs: { axis: [1], keepDims: false } }, true],
  ['Mean', { inputs: { x: f32([3, 4]) }, attrs: { axis: [0], keepDims: false } }, false],
  [
    'BatchMatMul',
    { inputs: { a: f32([2, 3, 4]), b: f32([2, 4, 5]) }, attrs: { transposeA: false, transposeB: false } },
    true,
  ],
  [
    '_FusedMatMul',
    {
      inputs: { a: f32([1, 3, 4]), b: f32([1, 4, 5]), bias: f32([5]) },
      attrs: { transposeA: false, transposeB: false, activation: 'elu' },
    },
    true,
  ],
  [
    'Conv2DBackpropInput',
    {
      inputs: { dy: f32([1, 2, 3, 3]), filter: f32([2, 2, 1, 2]) },
      attrs: { strides: 1, pad: 'valid', dataFormat: 'NCHW', inputShape: [1, 1, 4, 4] },
    },
    true,
  ],
];

/** Runs `fn` with a counting wrapper in place of wasm's stock `kernel`, under the pack; returns the count. */
function countingStockCalls(kernel: string, fn: () => void): number {
  let calls = 0;
  unregisterWasmTrainingKernels();
  const original = tf.getKernel(kernel, 'wasm');
  tf.unregisterKernel(kernel, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: (args) => (calls++, original.kernelFunc(args)) });
  registerWasmTrainingKernels();
  try {
    fn();
  } finally {
    unregisterWasmTrainingKernels();
    tf.unregisterKernel(kernel, 'wasm');
    tf.registerKernel(original);
    registerWasmTrainingKernels();
  }
  return calls;
}

describe('wasm kernel pack: what it does not handle goes to the stock kernel', () => {
  for (const [kernel, c, toStock] of cases) {
    const what = Object.entries(c.inputs)
      .map(([k, o]) => `${k} ${o.dtype}[${o.shape.join()}]`)
      .join(', ');
    it(`${kernel} ${what} ${JSON.stringify(c.attrs)}: ${toStock ? 'stock kernel' : "the pack's own path"}, stock cpu's result`, async () => {
      const call = (t: tf.NamedTensorMap) => tf.engine().runKernel<tf.Tensor>(kernel, t, c.attrs as tf.NamedAttrMap);
      let ours = outcomeOf({}, () => tf.scalar(0));
      const calls = countingStockCalls(kernel, () => (ours = outcomeOf(c.inputs, call)));
      expect(calls).to.equal(toStock ? 1 : 0);
      const stock = await runOn(STOCK_CPU, () => outcomeOf(c.inputs, call));
      expect(difference(ours, stock, 1e-6)).to.equal(null);
    });
  }
});
