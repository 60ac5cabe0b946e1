// The reference for differential tests: a second instance of tfjs' cpu backend, registered as
// 'stock-cpu' with a copy of tfjs' own cpu kernels taken when this module loads, without
// batchlab's (Batchlab* names, the only ones its cpu pack adds: so the copy is stock even in a test
// worker where earlier files registered that pack). Nothing batchlab registers later for 'cpu'
// reaches it. Gradients are global in tfjs, so a reference that needs ReLU's gradient writes
// tfjs' formula out instead of calling tf.grad.
import * as tf from '@tensorflow/tfjs';

export const STOCK_CPU = 'stock-cpu';

const stockKernels = tf.getKernelsForBackend('cpu').filter((k) => !k.kernelName.startsWith('Batchlab'));
if (tf.findBackendFactory(STOCK_CPU) === null) {
  tf.registerBackend(STOCK_CPU, tf.findBackendFactory('cpu'), -1);
  for (const kernel of stockKernels) tf.registerKernel({ ...kernel, backendName: STOCK_CPU });
}

/** Runs `fn` with `backend` active, switching back to wasm afterwards. */
export async function runOn<T>(backend: string, fn: () => T): Promise<T> {
  await tf.setBackend(backend);
  try {
    return fn();
  } finally {
    await tf.setBackend('wasm');
  }
}
