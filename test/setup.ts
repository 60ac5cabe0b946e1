// Shared test set-up: tests run on the wasm backend (the one users get on a CPU), started the way
// users start it, so batchlab's wasm training kernels are registered; the cpu backend, with tfjs'
// own kernels, is the reference for kernel checks. Tests that skip say why through skipBecause, and
// the run ends with one line listing them, so that a local run is not mistaken for a full one.
//
// `npm test` runs the files in parallel worker processes (.mocharc.json), where the root hooks run
// once per file; a run with --no-config runs them serially in one process. Both end the same way:
// the global teardown, in mocha's own process, prints the skips that every process recorded.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { releaseWebGpu, unregisterCpuTrainingKernels, useBackend } from '../src/backend';

/** The file the skips go to, one per line; set by the global setup and inherited by the workers. */
const SKIPS_FILE = 'BATCHLAB_TEST_SKIPS_FILE';

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
  const file = process.env[SKIPS_FILE];
  if (file) appendFileSync(file, `"${title ?? '?'}": ${reason.replace(/\n/g, ' ')}\n`);
  return context.skip();
}

export function mochaGlobalSetup(): void {
  process.env[SKIPS_FILE] = join(mkdtempSync(join(tmpdir(), 'batchlab-test-')), 'skipped');
}

/** The closing line, after mocha's own summary. */
export function mochaGlobalTeardown(): void {
  const file = process.env[SKIPS_FILE];
  if (!file) return;
  const skipped = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  rmSync(dirname(file), { recursive: true, force: true });
  const line =
    skipped.length === 0 ? 'Nothing skipped.' : `Skipped ${skipped.length} (not a full run): ${skipped.join(' | ')}`;
  process.stdout.write(`${line}\n`);
}

/** Whether this is one of mocha's parallel workers, which run many files, each as a root suite. */
const inWorker = process.env.MOCHA_WORKER_ID !== undefined;

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
    // Tests that start webgpu leave Dawn's navigator.gpu in place until the very end (see
    // webgpu.ts): once it is released no later file may run in this process, and a worker, which
    // runs several, is ended by mocha instead.
    if (!inWorker) releaseWebGpu();
  },
};
