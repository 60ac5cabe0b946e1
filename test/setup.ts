// Shared test set-up: tests run on the wasm backend (the one users get on a CPU) unless a test
// switches explicitly; the cpu backend is the reference for kernel checks.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await tf.setBackend('wasm');
    await tf.ready();
  },
};
