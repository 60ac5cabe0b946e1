/**
 * Backend parity: the same small BN MLP and BN CNN, from identical initial weights, trained for a
 * few SGD steps on the same batches on each backend, compared by their losses against the `cpu`
 * backend (the reference implementation). Used by `batchlab doctor --parity`.
 */
import * as tf from '@tensorflow/tfjs';
import { miniBatch } from '../batching';
import { Dataset, disposeDataset, toDataset } from '../data/dataset';
import { gaussianBlobs, twoHalvesImages } from '../data/synthetic';
import { cnn, mlp, ModelBuilder } from '../../models';
import { train } from '../training';
import { BackendName, useBackend } from '../backend';

export interface ParityRow {
  backend: BackendName;
  model: string;
  /** Largest |loss - cpu loss| over the steps; null when the backend could not run. */
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

async function losses(backend: BackendName, c: (typeof CASES)[number]): Promise<number[]> {
  await useBackend(backend);
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

/** Parity of each backend in `backends` against cpu; the previously active backend is restored. */
export async function checkParity(backends: BackendName[]): Promise<ParityRow[]> {
  const previous = tf.getBackend();
  const rows: ParityRow[] = [];
  try {
    for (const c of CASES) {
      const reference = await losses('cpu', c);
      for (const backend of backends.filter((b) => b !== 'cpu')) {
        try {
          const measured = await losses(backend, c);
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
            : `largest loss difference from cpu ${r.maxLossDifference.toExponential(2)}`
        }`,
    )
    .join('\n');
}
