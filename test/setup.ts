// Shared test set-up: tests run on the wasm backend (the one users get on a CPU), started the way
// users start it, so batchlab's wasm training kernels are registered; the cpu backend, with tfjs'
// own kernels, is the reference for kernel checks. Tests that skip say why through skipBecause, and
// the run ends with one line listing them, so that a local run is not mistaken for a full one.
import * as tf from '@tensorflow/tfjs';
import { releaseWebGpu, unregisterCpuTrainingKernels, useBackend } from '../src/backend';

const skipped: string[] = [];

/**
 * Skips the running test (or, from a before() hook, its suite) and records the reason for the
 * line printed at the end of the run.
 *
 * @example
 * it('renders in Chromium', function () {
 *   if (!existsSync(CHROMIUM)) skipBecause(this, `${CHROMIUM} is missing`);
 * });
 */
export function skipBecause(context: Mocha.Context, reason: string): never {
  // Mocha types `test` as a Runnable; at run time it is the Test or the Hook calling.
  const runnable = context.test as Mocha.Test | Mocha.Hook | undefined;
  // From a hook, the skip covers the hook's suite; from a test, that test.
  const title = runnable?.type === 'hook' ? runnable.parent?.fullTitle() : runnable?.fullTitle();
  skipped.push(`"${title ?? '?'}": ${reason}`);
  return context.skip();
}

/** The closing line: after mocha's own summary, which is printed once the root hooks have run. */
function printSkipped(): void {
  const line =
    skipped.length === 0 ? 'Nothing skipped.' : `Skipped ${skipped.length} (not a full run): ${skipped.join(' | ')}`;
  process.stdout.write(`${line}\n`);
}

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await useBackend('wasm');
    await tf.ready();
  },
  // The cpu backend is the reference for kernel checks: tfjs' own kernels there, unless a test
  // registers batchlab's cpu kernels itself (useBackend('cpu') does).
  beforeEach(): void {
    unregisterCpuTrainingKernels();
  },
  afterAll(): void {
    // Tests that start webgpu leave Dawn's navigator.gpu in place until the very end (see webgpu.ts).
    releaseWebGpu();
    process.once('exit', printSkipped);
  },
};
