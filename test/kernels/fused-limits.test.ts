// The fused BatchNorm kernels at the edges the random cases of ./fuzz-fused.test.ts found them to
// differ from stock tfjs: no rows, and values near float32's largest (about 3.4e38) that float32
// steps overflow where tfjs' float64 steps on cpu do not. Each case has a closed-form result and
// must also give stock cpu's, on wasm (C = 4: the SIMD passes) and on cpu (the loops).
import { expect } from 'chai';
import { registerCpuTrainingKernels, unregisterCpuTrainingKernels } from '../../src/backend';
import { KernelCase, Operand, difference, outcomeOf } from '../helpers/fuzz';
import { STOCK_CPU, runOn } from '../helpers/stock-cpu';
import { fusedCases } from './fused-fuzz-cases';

const MAX = Math.fround(3e38);
const f32 = (values: number[], shape = [values.length]): Operand => ({ values, shape, dtype: 'float32' });

/** A BatchNorm case over x [rows, 4]: gamma 1, beta 0.5, dy 1 and no dMean or dVariance, but for `given`. */
function batchNorm(x: number[][], given: Partial<Record<'gamma' | 'dMean' | 'dVariance', number[]>> = {}): KernelCase {
  const rows = x.length;
  return {
    inputs: {
      x: f32(x.flat(), [rows, 4]),
      gamma: f32(given.gamma ?? [1, 1, 1, 1]),
      beta: f32([0.5, 0.5, 0.5, 0.5]),
      dy: f32(new Array<number>(4 * rows).fill(1), [rows, 4]),
      dMean: f32(given.dMean ?? [0, 0, 0, 0]),
      dVariance: f32(given.dVariance ?? [0, 0, 0, 0]),
    },
    attrs: { epsilon: 1e-3 },
  };
}

interface Limit {
  op: 'BatchNorm forward' | 'BatchNorm backward';
  c: KernelCase;
  /** Output index and its closed-form values. */
  expected: [number, number[]];
}

const limits: Record<string, Limit> = {
  // tf.moments divides each value by the count, then sums none: 0, not 0 / 0.
  'no rows: mean 0 as tf.moments': { op: 'BatchNorm forward', c: batchNorm([]), expected: [1, [0, 0, 0, 0]] },
  'gamma near the largest float32 on a constant channel: y = beta, not 0 x Infinity': {
    op: 'BatchNorm forward',
    c: batchNorm([[1, 2, 3, 4]], { gamma: [MAX, 1, 1, 1] }),
    expected: [0, [0.5, 0.5, 0.5, 0.5]],
  },
  "two values near the largest float32: their mean, not a float32 sum's overflow": {
    op: 'BatchNorm forward',
    c: batchNorm([
      [MAX, 1, 1, 1],
      [MAX, 2, 2, 2],
    ]),
    expected: [1, [MAX, 1.5, 1.5, 1.5]],
  },
  'one row with a variance gradient near the largest float32: dx = dMean, not Infinity x 0': {
    op: 'BatchNorm backward',
    c: batchNorm([[1, 2, 3, 4]], { dMean: [1, 2, 3, 4], dVariance: [MAX, 0, 0, 0] }),
    expected: [0, [1, 2, 3, 4]],
  },
};

for (const backend of ['wasm', 'cpu']) {
  describe(`fused BatchNorm on ${backend} at float32's limits`, () => {
    beforeEach(() => backend === 'cpu' && registerCpuTrainingKernels());
    afterEach(() => unregisterCpuTrainingKernels());

    for (const [title, { op, c, expected }] of Object.entries(limits)) {
      it(title, async () => {
        const fuzz = fusedCases[op];
        const ours = await runOn(backend, () => outcomeOf(c.inputs, (t) => fuzz.fused(t, c.attrs)));
        const stock = await runOn(STOCK_CPU, () => outcomeOf(c.inputs, (t) => fuzz.stock(t, c.attrs)));
        expect(difference(ours, stock, 1e-6)).to.equal(null);
        if ('error' in ours) expect.fail(ours.error);
        const [output, values] = expected;
        ours.outputs[output].values.forEach((v, i) => expect(v).to.be.closeTo(values[i], 1e-6 * Math.abs(values[i])));
      });
    }
  });
}
