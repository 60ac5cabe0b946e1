/**
 * The bench's reference section, which needs no other framework: the SGD (batch 1) rate of the
 * MLP without BatchNorm under Adam, the first epoch of a fresh process against the second, and the
 * machine's peak for batchlab's own SIMD matrix product (on the backend's threads), against which
 * each row's achieved GFLOP/s is read. Runs first, while the process is still cold.
 */
import * as tf from '@tensorflow/tfjs';
import { sgd } from '../../src/batching';
import type { ArrayBackend } from '../../src/kernels/kernel-call';
import { simdMatMul } from '../../src/kernels/wasm/simd-mat-mul';
import { productsUseFma } from '../../src/kernels';
import { Dataset, disposeDataset, subset } from '../../src/data/dataset';
import { train } from '../../src/training';
import { activeBackendThreads, useBackend } from '../../src/backend';
import { mlp } from '../../models';
import { trainingFlopsPerSample } from './flops';
import { median } from './measure';

export interface SgdReference {
  samples: number;
  /** Seconds of each epoch of one run, the first in a cold process. */
  epochs: number[];
  /** Updates per second: samples over the median of the epochs after the first. */
  updatesPerSecond: number;
  /** Seconds of the first epoch over the second. */
  firstOverSecond: number;
  gflops: number;
  /** Kernel dispatches per update (tf.profile over a short warm SGD run), by kernel name. */
  kernelsPerUpdate: Map<string, number>;
}

/** Kernels dispatched per update by `updates` SGD updates of `model` over the first samples of `data`. */
async function kernelsPerUpdate(model: tf.LayersModel, data: Dataset, updates = 20): Promise<Map<string, number>> {
  const part = subset(
    data,
    Int32Array.from({ length: updates }, (_, i) => i),
  );
  try {
    const info = await tf.profile(async () => {
      await train(model, part, { strategy: sgd(), epochs: 1, seed: 1, warn: () => undefined });
    });
    const counts = new Map<string, number>();
    for (const k of info.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1 / updates);
    return counts;
  } finally {
    disposeDataset(part);
  }
}

/** `epochs` (at least 3) epochs of SGD over the first `samples` samples, from a freshly built MLP. */
export async function sgdReference(data: Dataset, samples: number, epochs = 3): Promise<SgdReference> {
  const part = subset(
    data,
    Int32Array.from({ length: samples }, (_, i) => i),
  );
  const model = mlp({ batchNorm: false }).build({ inputShape: part.inputShape, outputs: part.numClasses }, 0);
  try {
    const { history } = await train(model, part, { strategy: sgd(), epochs, seed: 1, warn: () => undefined });
    const seconds = history.epochs.map((e) => e.seconds);
    const updatesPerSecond = samples / median(seconds.slice(1));
    return {
      samples,
      epochs: seconds,
      updatesPerSecond,
      firstOverSecond: seconds[0] / seconds[1],
      gflops: (updatesPerSecond * trainingFlopsPerSample(model)) / 1e9,
      kernelsPerUpdate: await kernelsPerUpdate(model, part),
    };
  } finally {
    model.dispose();
    disposeDataset(part);
  }
}

/**
 * The best GFLOP/s of `repeats` timings of enough calls of `once` (`flops` each) to take ~50 ms,
 * after one untimed call: a peak, the best the machine gave, which load from other processes can
 * only lower. The kernels are synchronous, so the wall clock times them whole.
 */
function peakGflops(flops: number, once: () => void, repeats: number): number {
  once();
  const count = Math.max(1, Math.round(5e7 / flops));
  const rates = Array.from({ length: repeats }, () => {
    const start = performance.now();
    for (let i = 0; i < count; i++) once();
    return (count * flops) / ((performance.now() - start) / 1000) / 1e9;
  });
  return Math.max(...rates);
}

/**
 * Peak GFLOP/s of batchlab's SIMD product (src/kernels/wasm/simd-mat-mul) on [m, k] x [k, n]. m = 1
 * is the one-row kernel that batch 1 runs; m >= 4 the tiled one.
 */
export function simdPeakGflops(m: number, k: number, n: number, repeats = 5): number {
  const backend = tf.backend() as unknown as ArrayBackend;
  const [a, b] = [tf.randomUniform([m, k], -1, 1, 'float32', 1), tf.randomUniform([k, n], -1, 1, 'float32', 2)];
  const product = () => {
    const out = simdMatMul(backend, a, b, false, false);
    if (!out) throw new Error(`simdPeakGflops: no SIMD product on backend ${tf.getBackend()}`);
    tf.engine().makeTensorFromTensorInfo(out).dispose();
  };
  try {
    return peakGflops(2 * m * k * n, product, repeats);
  } finally {
    tf.dispose([a, b]);
  }
}

/**
 * Peak GFLOP/s of the wasm backend's Conv2D (batchlab's, src/kernels/wasm/conv2d) on the BN CNN's
 * second convolution at batch 128 (3x3, 16 -> 32 channels over 14x14, 'same'): the kernel the CNN
 * rows spend most of their time in.
 */
export function convPeakGflops(repeats = 5): number {
  const x = tf.randomUniform<tf.Rank.R4>([128, 14, 14, 16], -1, 1, 'float32', 3);
  const filter = tf.randomUniform<tf.Rank.R4>([3, 3, 16, 32], -1, 1, 'float32', 4);
  try {
    return peakGflops(2 * 128 * 14 * 14 * 3 * 3 * 16 * 32, () => tf.conv2d(x, filter, 1, 'same').dispose(), repeats);
  } finally {
    tf.dispose([x, filter]);
  }
}

/** The section's lines: the SGD rate (and on stock kernels), first/second epoch, and the SIMD peaks. */
export async function referenceLines(data: Dataset, quick: boolean): Promise<string[]> {
  const samples = quick ? 1500 : 6000;
  const threads = activeBackendThreads() ?? 1;
  const run = await sgdReference(data, samples);
  const tiled = simdPeakGflops(1024, 784, 256);
  const oneRow = simdPeakGflops(1, 784, 256);
  const conv = convPeakGflops();
  // The same run on tfjs' stock wasm kernels (--no-kernels), warm, on a quarter of the samples.
  await useBackend('wasm', { kernels: false, threads });
  const stock = await sgdReference(data, samples / 4).finally(() => useBackend('wasm', { threads }));
  const dispatches = (counts: Map<string, number>) => [...counts.values()].reduce((sum, n) => sum + n, 0);
  const kernels = [...run.kernelsPerUpdate].sort((a, b) => b[1] - a[1]);
  return [
    `reference (wasm, ${threads === 1 ? 'one thread' : `${threads} threads`}): MLP without BN, Adam, SGD (batch 1) over ${samples} samples, one cold run of ${run.epochs.length} epochs`,
    `  updates/s (median of epochs 2-${run.epochs.length})  ${run.updatesPerSecond.toFixed(0)}`,
    `  epoch seconds                       ${run.epochs.map((s) => s.toFixed(2)).join(', ')}`,
    `  first epoch / second                ${run.firstOverSecond.toFixed(2)}x`,
    `  achieved GFLOP/s                    ${run.gflops.toFixed(2)}`,
    `  updates/s with stock kernels        ${stock.updatesPerSecond.toFixed(0)} (--no-kernels, ${samples / 4} samples; batchlab's ${(run.updatesPerSecond / stock.updatesPerSecond).toFixed(2)}x)`,
    `  kernel dispatches per update        ${dispatches(run.kernelsPerUpdate).toFixed(1)} (stock kernels: ${dispatches(stock.kernelsPerUpdate).toFixed(1)}): ${kernels.map(([name, n]) => `${name} ${n.toFixed(1)}`).join(', ')}`,
    `  peak GFLOP/s, batchlab SIMD product${productsUseFma() ? ' (fused multiply-add)' : ''}: tiled 1024x784 x 784x256 ${tiled.toFixed(2)}, one row 1x784 x 784x256 ${oneRow.toFixed(2)}`,
    `  peak GFLOP/s, batchlab convolution: 3x3, 16 -> 32 channels, 128x14x14 ${conv.toFixed(2)}`,
  ];
}
