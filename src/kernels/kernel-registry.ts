/**
 * What a kernel pack registers on a backend and takes back on unregistering, and nothing else:
 * kernels the backend lacks (KernelAdditions; one it already has is left alone) and replacements
 * of its stock kernels, each built on the kernel it replaces (KernelOverrides; the originals are
 * put back). The fused kernels, the wasm pack and the webgpu pack use them.
 */
import * as tf from '@tensorflow/tfjs';

export class KernelAdditions {
  private readonly added = new Set<string>();

  constructor(private readonly backendName: string) {}

  /**
   * Registers each of `kernels` the backend lacks, its function passed through `adapt`; returns the
   * names registered by this call.
   */
  add(
    kernels: readonly Omit<tf.KernelConfig, 'backendName'>[],
    adapt: (kernelFunc: tf.KernelFunc) => tf.KernelFunc = (kernelFunc) => kernelFunc,
  ): string[] {
    const registered: string[] = [];
    for (const { kernelName, kernelFunc } of kernels) {
      if (tf.getKernel(kernelName, this.backendName) !== undefined) continue;
      tf.registerKernel({ kernelName, backendName: this.backendName, kernelFunc: adapt(kernelFunc) });
      this.added.add(kernelName);
      registered.push(kernelName);
    }
    return registered;
  }

  /** Removes the kernels added here; the backend's own stay. */
  remove(): void {
    for (const kernelName of this.added) tf.unregisterKernel(kernelName, this.backendName);
    this.added.clear();
  }
}

export type MakeOverride = (original: tf.KernelConfig) => tf.KernelConfig;

export class KernelOverrides {
  private readonly originals = new Map<string, tf.KernelConfig>();

  constructor(
    private readonly backendName: string,
    private readonly makers: Record<string, MakeOverride>,
  ) {}

  /**
   * Replaces each kernel not replaced yet, built on the stock one that `stock` finds (undefined:
   * that one stays as it is); returns the names replaced by this call.
   */
  apply(
    stock: (name: string) => tf.KernelConfig | undefined = (name) => tf.getKernel(name, this.backendName),
  ): string[] {
    const replaced: string[] = [];
    for (const [name, makeOverride] of Object.entries(this.makers)) {
      if (this.originals.has(name)) continue;
      const original = stock(name);
      if (!original) continue;
      tf.unregisterKernel(name, this.backendName);
      tf.registerKernel(makeOverride(original));
      this.originals.set(name, original);
      replaced.push(name);
    }
    return replaced;
  }

  /** Puts the stock kernels back. */
  restore(): void {
    for (const [name, original] of this.originals) {
      tf.unregisterKernel(name, this.backendName);
      tf.registerKernel(original);
    }
    this.originals.clear();
  }
}
