// Shared test set-up: tests run on the wasm backend (the one users get on a CPU), started the way
// users start it, so batchlab's wasm training kernels are registered; the cpu backend, with tfjs'
// own kernels, is the reference for kernel checks.
import * as tf from '@tensorflow/tfjs';
import { releaseWebGpu, unregisterCpuTrainingKernels, useBackend } from '../src/backend';

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
  // Tests that start webgpu leave Dawn's navigator.gpu in place until the very end (see webgpu.ts).
  afterAll(): void {
    releaseWebGpu();
  },
};
