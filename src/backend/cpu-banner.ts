/**
 * tfjs' cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js ... install
 * our node backend" on its first tensor write (MathBackendCPU.write, while its firstUse is true).
 * That advice is tfjs' to give a user who runs tfjs directly; when batchlab selects cpu it has
 * already explained the backends (`batchlab doctor`), so the banner would only interrupt its output.
 * Owns marking the banner as shown on the cpu backend batchlab starts, and nothing else of tfjs'.
 */
import * as tf from '@tensorflow/tfjs';

/** The cpu backend's private flag (MathBackendCPU.firstUse, not in tfjs' public types). */
interface CpuBannerState {
  firstUse?: boolean;
}

/** Marks the banner as already shown on the registered cpu backend instance, if it has not printed. */
export function skipCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as unknown as CpuBannerState | null;
  if (cpu?.firstUse === true) cpu.firstUse = false;
}
