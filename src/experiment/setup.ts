/** Starts the spec's backend and loads its data: the same in the parent and in every worker. */
import { useBackend, BackendChoice, BackendInfo } from '../backend';
import { loadDataset } from '../data/catalog';
import { Dataset, disposeDataset, splitDataset } from '../data/dataset';
import type { ExperimentSpec } from './spec';

export interface ExperimentData {
  train: Dataset;
  /** The data set's test split, or a seeded fifth of the training data when it has none. */
  test: Dataset;
  description: string;
  backend: BackendInfo;
  /** Whether `test` was split off the training data (the data set has no test split of its own). */
  testSplit: boolean;
}

export async function prepareExperiment(spec: ExperimentSpec): Promise<ExperimentData> {
  const backend = await useBackend(spec.backend as BackendChoice);
  const loaded = await loadDataset(spec.data, { dataDir: spec.dataDir, limit: spec.limit });
  if (loaded.test) {
    return { train: loaded.train, test: loaded.test, description: loaded.description, backend, testSplit: false };
  }
  const { train, validation } = splitDataset(loaded.train, 0.2, 0);
  disposeDataset(loaded.train);
  const description = `${loaded.description} (test: a seeded 20% split)`;
  return { train, test: validation, description, backend, testSplit: true };
}

export function disposeExperimentData(data: ExperimentData): void {
  disposeDataset(data.train);
  disposeDataset(data.test);
}
