/**
 * The fused Dense layer kernels (src/ops/dense-layer.ts) on wasm: their results against the ops
 * the tape runs for the same layer (matMul, add, relu and tfjs' gradients of them), bit for bit,
 * for one and several rows, flattened images, no bias, no ReLU, and signed zeros and NaN in the
 * pre-activation; their errors; and that they release what they use inside.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { denseBackward, denseForward, hasFusedDenseLayer } from '../../src/ops/dense-layer';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../src/backend';

/** Float32 bits as hex, so that -0, NaN payloads and the last bit all count. */
const bits = (t: tf.Tensor) =>
  Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer), (b) => b.toString(16));

/** Deterministic values in [-1, 1) with some exact zeros and negative zeros among them. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = i % 7 === 3 ? 0 : i % 11 === 5 ? -0 : (s / 1073741824 - 1) * (i % 5 === 0 ? 1e-3 : 1);
  }
  return out;
}

interface Layer {
  x: tf.Tensor;
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D | null;
  dy: tf.Tensor2D;
  relu: boolean;
}

function layer(rows: number, inShape: number[], units: number, bias: boolean, relu: boolean): Layer {
  const inputs = inShape.reduce((a, b) => a * b, 1);
  return {
    x: tf.tensor(values(rows * inputs, 1), [rows, ...inShape]),
    kernel: tf.tensor2d(values(inputs * units, 2), [inputs, units]),
    bias: bias ? tf.tensor1d(values(units, 3)) : null,
    dy: tf.tensor2d(values(rows * units, 4), [rows, units]),
    relu,
  };
}

/** The layer's forward pass and gradients as the tape computes them from tfjs' ops. */
function onTape({ x, kernel, bias, dy, relu }: Layer) {
  const f = (xx: tf.Tensor, k: tf.Tensor, b?: tf.Tensor) => {
    const product = tf.matMul(tf.reshape(xx, [xx.shape[0], -1]), k);
    const z = b ? tf.add(product, b) : product;
    return relu ? tf.relu(z) : z;
  };
  const args = bias ? [x, kernel, bias] : [x, kernel];
  const grads = tf.grads((...a: tf.Tensor[]) => f(a[0], a[1], a[2]))(args, dy);
  const product = tf.matMul(tf.reshape(x, [x.shape[0], -1]), kernel);
  const z = bias ? tf.add(product, bias) : product;
  return { z, output: relu ? tf.relu(z) : z, dx: grads[0], dKernel: grads[1], dBias: grads[2] ?? null };
}

describe('fused Dense layer kernels (wasm)', () => {
  afterEach(() => registerWasmTrainingKernels());

  const cases: [string, number, number[], number, boolean, boolean][] = [
    ['one row of a flattened image, bias and ReLU', 1, [4, 4, 1], 9, true, true],
    ['five rows, bias and ReLU', 5, [13], 10, true, true],
    ['three rows, no bias', 3, [6], 8, false, true],
    ['one row, no ReLU (an output layer)', 1, [12], 10, true, false],
    ['six rows, neither', 6, [2, 3], 5, false, false],
  ];
  for (const [name, rows, inShape, units, bias, relu] of cases) {
    it(`gives the tape's bits: ${name}`, () => {
      // tidy releases the inputs, the references and the results alike.
      tf.tidy(() => {
        const l = layer(rows, inShape, units, bias, relu);
        const reference = onTape(l);
        const { z, output } = denseForward(l.x, l.kernel, l.bias, { relu });
        const grads = denseBackward(l.dy, l.x, l.kernel, z, { relu, bias, inputGradient: true });
        expect(z.shape).to.deep.equal([rows, units]);
        expect(bits(z)).to.deep.equal(bits(reference.z));
        expect(bits(output)).to.deep.equal(bits(reference.output));
        expect(bits(grads.dKernel)).to.deep.equal(bits(reference.dKernel));
        expect(grads.dx?.shape).to.deep.equal([rows, inShape.reduce((a, b) => a * b, 1)]);
        expect(bits(grads.dx as tf.Tensor)).to.deep.equal(bits(tf.reshape(reference.dx, [rows, -1])));
        if (bias) expect(bits(grads.dBias as tf.Tensor)).to.deep.equal(bits(reference.dBias));
        else expect(grads.dBias).to.equal(null);
      });
    });
  }

  it('passes NaN, signed zeros and ties at 0 through the ReLU gradient as the tape does', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([[1, -1, 0.5]]);
      const kernel = tf.tensor2d([
        [1, 0, NaN, -1],
        [1, 0, 0, 1],
        [0, -0, 0, 0.5],
      ]);
      const dy = tf.tensor2d([[2, 3, 4, -5]]);
      const l: Layer = { x, kernel, bias: null, dy, relu: true };
      const reference = onTape(l);
      const { z } = denseForward(x, kernel, null, { relu: true });
      expect(bits(z)).to.deep.equal(bits(reference.z));
      const grads = denseBackward(dy, x, kernel, z, { relu: true, bias: false, inputGradient: true });
      expect(Array.from(grads.dKernel.dataSync()).some(Number.isNaN)).to.equal(true);
      expect(bits(grads.dKernel)).to.deep.equal(bits(reference.dKernel));
      expect(bits(grads.dx as tf.Tensor)).to.deep.equal(bits(reference.dx));
    });
  });

  it('leaves out the input gradient when asked, and keeps no intermediate', () => {
    const l = layer(4, [8], 6, true, true);
    const before = { tensors: tf.memory().numTensors, ids: tf.engine().backend.numDataIds() };
    const { z, output } = denseForward(l.x, l.kernel, l.bias, { relu: true });
    const grads = denseBackward(l.dy, l.x, l.kernel, z, { relu: true, bias: true, inputGradient: false });
    expect(grads.dx).to.equal(null);
    tf.dispose([z, output, grads.dKernel, grads.dBias as tf.Tensor]);
    expect(tf.memory().numTensors).to.equal(before.tensors);
    expect(tf.engine().backend.numDataIds()).to.equal(before.ids);
    tf.dispose([l.x, l.kernel, l.bias as tf.Tensor, l.dy]);
  });

  it('releases what it made when a kernel inside fails, at each of them in turn', () => {
    const inner = ['BatchMatMul', 'Add', 'Relu', 'BatchlabReluGrad', 'Sum'].map((name) => tf.getKernel(name, 'wasm'));
    let calls = 0;
    let failAt = 0;
    for (const kernel of inner) {
      if (!kernel) throw new Error('a kernel of the pack is missing');
      tf.unregisterKernel(kernel.kernelName, 'wasm');
      tf.registerKernel({
        ...kernel,
        kernelFunc: (args) => {
          if (++calls === failAt) throw new Error('planted failure');
          return kernel.kernelFunc(args);
        },
      });
    }
    const l = layer(3, [2, 2], 5, true, true);
    const passes: [string, () => tf.Tensor[]][] = [
      ['forward', () => Object.values(denseForward(l.x, l.kernel, l.bias, { relu: true }))],
      [
        'backward',
        () => {
          const g = denseBackward(l.dy, l.x, l.kernel, l.dy, { relu: true, bias: true, inputGradient: true });
          return [g.dKernel, g.dBias, g.dx].filter((t) => t !== null);
        },
      ],
    ];
    try {
      for (const [name, pass] of passes) {
        calls = 0;
        failAt = 0;
        tf.dispose(pass());
        const inside = calls;
        expect(inside, `kernels inside the ${name} pass`).to.be.above(2);
        for (failAt = 1; failAt <= inside; failAt++) {
          calls = 0;
          const before = tf.engine().backend.numDataIds();
          expect(pass, `${name}, failing at ${failAt}`).to.throw('planted failure');
          expect(tf.engine().backend.numDataIds(), `${name}: buffers after failing at ${failAt}`).to.equal(before);
        }
      }
    } finally {
      for (const kernel of inner) {
        if (!kernel) continue;
        tf.unregisterKernel(kernel.kernelName, 'wasm');
        tf.registerKernel(kernel);
      }
      tf.dispose([l.x, l.kernel, l.bias as tf.Tensor, l.dy]);
    }
  });

  it('names what is wrong: no pre-activation for the ReLU, an input that is not float32', () => {
    const l = layer(2, [3], 2, false, true);
    expect(() => denseBackward(l.dy, l.x, l.kernel, null, { relu: true, bias: false, inputGradient: false })).to.throw(
      'BatchlabDenseBackward with relu needs the pre-activation z',
    );
    const ints = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    expect(() => denseForward(ints, l.kernel, null, { relu: false })).to.throw(
      'BatchlabDenseForward needs float32 inputs, got x int32',
    );
    tf.dispose([l.x, l.kernel, l.dy, ints]);
  });

  it('comes and goes with the kernel pack, and only wasm has it', async () => {
    expect(hasFusedDenseLayer()).to.equal(true);
    unregisterWasmTrainingKernels();
    expect(hasFusedDenseLayer()).to.equal(false);
    registerWasmTrainingKernels();
    await tf.setBackend('cpu');
    try {
      expect(hasFusedDenseLayer()).to.equal(false);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
