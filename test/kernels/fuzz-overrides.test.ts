// Differential fuzzing of the wasm pack's kernels (the stock kernels it replaces and the one it
// adds) against tfjs' stock cpu kernels (../helpers/stock-cpu) on random shapes, dtypes, attributes
// and special values (cases from ./fuzz-cases). `npm test` runs BATCHLAB_FUZZ_CASES (default 20)
// cases per kernel; a longer run: BATCHLAB_FUZZ_CASES=5000 npm run test:fuzz.
// A failure names the case and its seed; BATCHLAB_FUZZ_REPLAY=<seed> runs that case alone.
// Where stock wasm itself differs from stock cpu (e.g. _FusedMatMul with two batch axes), the pack
// must give stock wasm's result: it changes nothing a user's code would see.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../src/backend';
import { createRng } from '../../src/util/random';
import { Operand, Outcome, caseSeeds, difference, failure, outcomeOf } from '../helpers/fuzz';
import { STOCK_CPU, runOn } from '../helpers/stock-cpu';
import { overrideCases } from './fuzz-cases';

/** The outcome on wasm with tfjs' own kernels: the pack unregistered for the call. */
function onStockWasm(
  inputs: Record<string, Operand>,
  call: (t: tf.NamedTensorMap) => tf.Tensor | tf.Tensor[],
): Outcome {
  unregisterWasmTrainingKernels();
  try {
    return outcomeOf(inputs, call);
  } finally {
    registerWasmTrainingKernels();
  }
}

describe('wasm kernel pack against stock tfjs, on random cases', () => {
  for (const [kernel, fuzz] of Object.entries(overrideCases)) {
    it(`${kernel} gives stock cpu's results (or stock wasm's, where those differ)`, async () => {
      expect(tf.getBackend()).to.equal('wasm');
      for (const seed of caseSeeds(kernel)) {
        const c = fuzz.make(createRng(seed));
        const call = (t: tf.NamedTensorMap) =>
          tf
            .engine()
            .runKernel<tf.Tensor | tf.Tensor[]>(
              kernel,
              { ...t, ...fuzz.derive?.(t, c.attrs) },
              c.attrs as tf.NamedAttrMap,
            );
        const ours = outcomeOf(c.inputs, call);
        const stock = await runOn(STOCK_CPU, () => outcomeOf(c.inputs, call));
        const scale = fuzz.scale?.(c);
        const why = difference(ours, stock, fuzz.tolerance, scale);
        if (why && difference(ours, onStockWasm(c.inputs, call), fuzz.tolerance, scale) !== null) {
          expect.fail(failure(kernel, seed, c, why));
        }
      }
    });
  }
});
