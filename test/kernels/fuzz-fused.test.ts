// Differential fuzzing of batchlab's fused training ops (src/ops), on wasm and on cpu with their kernel
// packs, against the same maths in tfjs' own ops on stock cpu (../helpers/stock-cpu), on the random
// cases of ./fused-fuzz-cases. Where stock's float32 steps overflow or lose digits that batchlab's
// keep, a value may instead agree with the float64 value of the same formula (./fused-float64); the
// element-wise kernels must equal stock bit for bit. `npm test` runs BATCHLAB_FUZZ_CASES (default 20)
// cases per op and backend; a longer run: BATCHLAB_FUZZ_CASES=5000 npm run test:fuzz. A failure
// names the case and its seed; BATCHLAB_FUZZ_REPLAY=<seed> runs that case alone.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { registerCpuTrainingKernels, unregisterCpuTrainingKernels } from '../../src/backend';
import { createRng } from '../../src/util/random';
import { KernelCase, Outcome, caseSeeds, difference, failure, outcomeOf } from '../helpers/fuzz';
import { STOCK_CPU, runOn } from '../helpers/stock-cpu';
import { fusedCases } from './fused-fuzz-cases';
import { FusedFuzz } from './fused-operands';

/** The outcome of `fuzz.fused` on `backend`, and the kernels it ran. */
async function fusedOutcome(backend: string, fuzz: FusedFuzz, c: KernelCase) {
  let outcome: Outcome = { error: 'not run' };
  const profile = await runOn(backend, () =>
    tf.profile(() => {
      outcome = outcomeOf(c.inputs, (t) => fuzz.fused(t, c.attrs));
    }),
  );
  return { outcome, kernels: profile.kernels.map((k) => k.name) };
}

for (const backend of ['wasm', 'cpu']) {
  describe(`fused training ops on ${backend} against stock tfjs, on random cases`, () => {
    // The cpu pack is registered here only: the test set-up removes it before each test.
    beforeEach(() => backend === 'cpu' && registerCpuTrainingKernels());
    afterEach(() => unregisterCpuTrainingKernels());

    for (const [name, fuzz] of Object.entries(fusedCases)) {
      it(`${name} gives stock cpu's results`, async () => {
        const ran = new Set<string>();
        const tensors = tf.memory().numTensors;
        for (const seed of caseSeeds(name)) {
          const c = fuzz.make(createRng(seed));
          const ours = await fusedOutcome(backend, fuzz, c);
          ours.kernels.forEach((k) => ran.add(k));
          const stock = await runOn(STOCK_CPU, () => outcomeOf(c.inputs, (t) => fuzz.stock(t, c.attrs)));
          const float64 = fuzz.float64?.(c);
          const why = difference(ours.outcome, stock, fuzz.tolerance, float64?.scales, float64?.outputs);
          if (why) expect.fail(failure(`${name} on ${backend}`, seed, c, why));
        }
        expect([...ran], 'kernels run').to.include.members(fuzz.kernels);
        expect(tf.memory().numTensors, 'tensors left').to.equal(tensors);
      });
    }
  });
}
