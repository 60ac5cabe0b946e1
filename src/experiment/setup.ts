/**
 * Starts the spec's backend and loads its data: the same in the parent and in every worker. An
 * experiment that lists backends trains each in workers started with it; its parent only plans,
 * on cpu, which always starts.
 */
import { useBackend, BackendChoice, BackendInfo, BackendName } from '../backend';
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

/**
 * `backend`: the one to start, for a worker of an experiment that lists backends. Default: the
 * spec's backend, or cpu when it lists backends. `threads`: what the wasm backend computes with.
 */
export async function prepareExperiment(
  spec: ExperimentSpec,
  backend?: BackendName,
  threads?: number,
): Promise<ExperimentData> {
  const choice = backend ?? (spec.backends ? 'cpu' : (spec.backend as BackendChoice));
  const info = await useBackend(choice, threads === undefined ? {} : { threads });
  const loaded = await loadDataset(spec.data, { dataDir: spec.dataDir, limit: spec.limit });
  if (loaded.test) {
    return { train: loaded.train, test: loaded.test, description: loaded.description, backend: info, testSplit: false };
  }
  const { train, validation } = splitDataset(loaded.train, 0.2, 0);
  disposeDataset(loaded.train);
  const description = `${loaded.description} (test: a seeded 20% split)`;
  return { train, test: validation, description, backend: info, testSplit: true };
}

export function disposeExperimentData(data: ExperimentData): void {
  disposeDataset(data.train);
  disposeDataset(data.test);
}
