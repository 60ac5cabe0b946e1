/**
 * Backend parity: the same small BN MLP and BN CNN, from identical initial weights, trained for a
 * few SGD steps on the same batches on each backend, compared by their losses against tfjs' stock
 * cpu backend with none of batchlab's kernels or gradients installed (stock-cpu.ts), so that the
 * reference shares no code with batchlab's kernel packs. Used by `batchlab doctor --parity`.
 */
import * as tf from '@tensorflow/tfjs';
import { miniBatch } from '../batching';
import { Dataset, disposeDataset, toDataset } from '../data/dataset';
import { gaussianBlobs, twoHalvesImages } from '../data/synthetic';
import { cnn, mlp, ModelBuilder } from '../../models';
import { train } from '../training';
import { BackendName, useBackend } from '../backend';
import { onStockCpu } from './stock-cpu';

export interface ParityRow {
  backend: BackendName;
  model: string;
  /** Largest |loss - stock cpu loss| over the steps; null when the backend could not run. */
  maxLossDifference: number | null;
  error?: string;
}

const CASES: { model: string; builder: () => ModelBuilder; data: () => Dataset }[] = [
  {
    model: 'BN MLP',
    builder: () => mlp({ hidden: [16, 8], batchNorm: true }),
    data: () =>
      toDataset(gaussianBlobs({ samples: 48, seed: 1 }), {
        name: 'parity-blobs',
        task: 'classification',
        numClasses: 3,
      }),
  },
  {
    model: 'BN CNN',
    builder: () => cnn({ filters: [4], dense: 8, batchNorm: true }),
    data: () => toDataset(twoHalvesImages(16), { name: 'parity-images', task: 'classification', numClasses: 2 }),
  },
];

/** The losses of each update of case `c` on the active backend. */
async function losses(c: (typeof CASES)[number]): Promise<number[]> {
  const data = c.data();
  try {
    const { model, history } = await train(c.builder(), data, {
      strategy: miniBatch(8),
      epochs: 2,
      updateLossEvery: 1,
      optimizer: 'sgd',
      learningRate: 0.05,
    });
    model.dispose();
    return history.updates.map((u) => u.loss);
  } finally {
    disposeDataset(data);
  }
}

/**
 * Parity of each backend in `backends` (as useBackend starts it, kernel packs included) against
 * stock cpu; the previously active backend is restored. 'cpu' here means batchlab's cpu, whose
 * fused kernels are compared like any other backend's.
 */
export async function checkParity(backends: BackendName[]): Promise<ParityRow[]> {
  const previous = tf.getBackend();
  const rows: ParityRow[] = [];
  try {
    for (const c of CASES) {
      const reference = await onStockCpu(() => losses(c));
      for (const backend of backends) {
        try {
          await useBackend(backend);
          const measured = await losses(c);
          rows.push({
            backend,
            model: c.model,
            maxLossDifference: Math.max(...measured.map((v, i) => Math.abs(v - reference[i]))),
          });
        } catch (error) {
          rows.push({
            backend,
            model: c.model,
            maxLossDifference: null,
            error: (error as Error).message.split('\n')[0],
          });
        }
      }
    }
  } finally {
    if (previous) await tf.setBackend(previous);
  }
  return rows;
}

export function formatParity(rows: ParityRow[]): string {
  return rows
    .map(
      (r) =>
        `${r.backend.padEnd(10)} ${r.model}: ${
          r.maxLossDifference === null
            ? `not run (${r.error})`
            : `largest loss difference from stock cpu ${r.maxLossDifference.toExponential(2)}`
        }`,
    )
    .join('\n');
}
