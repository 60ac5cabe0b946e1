/**
 * Named data sets, as the CLI and `loadDataset` know them: where each one's files live, how it is
 * generated or read, and how it is normalised. Reading a format is the readers' job (idx.ts,
 * csv.ts, synthetic.ts); this module only maps names to them.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCsvFile } from './csv';
import { Dataset, RawData, Standardizer, disposeDataset, fitStandardizer, standardize, toDataset } from './dataset';
import { loadIdxPair } from './idx';
import { InputError } from './input-error';
import { gaussianBlobs, linearRegression, twoSpirals } from './synthetic';
import { findPackageRoot } from '../util/package-root';
import * as tf from '@tensorflow/tfjs';

/** Where Debian's dataset-fashion-mnist package installs the full data set. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The embedded default: 6000 training / 1000 test images of Fashion-MNIST (see data/fashion-mnist-small). */
export const EMBEDDED_DATA_DIR = join(findPackageRoot(__dirname), 'data', 'fashion-mnist-small');

export const DATASET_NAMES = [
  'fashion-mnist-small',
  'fashion-mnist',
  'mnist',
  'blobs',
  'spirals',
  'linear',
  'csv:<file>',
] as const;

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Standardisation statistics as plain numbers, one per feature, for files and for new data. */
export interface FeatureStatistics {
  mean: number[];
  std: number[];
}

export interface LoadDatasetOptions {
  /** Directory of IDX files for fashion-mnist / mnist. Default: the embedded subset or Debian's location. */
  dataDir?: string;
  /** Use at most this many training samples (first in file order). Default: all. */
  limit?: number;
  /** Seed of synthetic generators. Default: 0. */
  seed?: number;
  /** Samples of synthetic data sets (training part; the test part is a fifth of it). Default: 2000. */
  samples?: number;
  /** Label column of a CSV file, by name or 0-based index. Default: the last column. */
  labelColumn?: string | number;
}

export interface LoadedData {
  train: Dataset;
  /** The data set's own test split, or null when it has none. */
  test: Dataset | null;
  /** Class names where known. */
  classNames: string[] | null;
  /**
   * The per-feature statistics the features were standardised with ((x - mean) / std), which new
   * data must go through too; null for images (scaled to [0, 1] instead).
   */
  standardizer: FeatureStatistics | null;
  description: string;
}

/**
 * Loads a named data set onto the active backend. Images are scaled to [0, 1]; synthetic and CSV
 * features are standardised with statistics of the training part.
 * @example const { train, test } = await loadDataset('fashion-mnist', { dataDir: '/data/fmnist' })
 */
export async function loadDataset(name: string, options: LoadDatasetOptions = {}): Promise<LoadedData> {
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new InputError(`limit must be a positive integer, got ${options.limit}`);
  }
  if (name === 'fashion-mnist-small')
    return loadIdxDir(name, options.dataDir ?? EMBEDDED_DATA_DIR, options, FASHION_MNIST_CLASSES);
  if (name === 'fashion-mnist')
    return loadIdxDir(name, options.dataDir ?? DEBIAN_FASHION_MNIST_DIR, options, FASHION_MNIST_CLASSES);
  if (name === 'mnist') {
    if (!options.dataDir)
      throw new InputError('data set mnist needs --data-dir: a directory with the four MNIST IDX files');
    return loadIdxDir(name, options.dataDir, options, null);
  }
  if (name.startsWith('csv:')) return loadCsv(name.slice(4), options);
  const synthetic = await syntheticData(name, options);
  if (synthetic) return synthetic;
  throw new InputError(`unknown data set "${name}"; known: ${DATASET_NAMES.join(', ')}`);
}

function loadIdxDir(name: string, dir: string, options: LoadDatasetOptions, classNames: string[] | null): LoadedData {
  const file = (base: string): string => {
    for (const candidate of [join(dir, `${base}.gz`), join(dir, base)]) if (existsSync(candidate)) return candidate;
    const hint =
      name === 'fashion-mnist' && !options.dataDir
        ? " (install Debian's dataset-fashion-mnist or pass --data-dir)"
        : '';
    throw new InputError(`data set ${name}: ${join(dir, base)}[.gz] not found${hint}`);
  };
  const rawTrain = loadIdxPair(file('train-images-idx3-ubyte'), file('train-labels-idx1-ubyte'), {
    limit: options.limit,
  });
  const rawTest = loadIdxPair(file('t10k-images-idx3-ubyte'), file('t10k-labels-idx1-ubyte'));
  const numClasses = Math.max(maxLabel(rawTrain), maxLabel(rawTest)) + 1;
  return {
    train: toDataset(rawTrain, { name, task: 'classification', numClasses }),
    test: toDataset(rawTest, { name: `${name}/test`, task: 'classification', numClasses }),
    classNames,
    standardizer: null,
    description: `${name} from ${resolve(dir)}: ${rawTrain.targets.length} train / ${rawTest.targets.length} test images [${rawTrain.inputShape.join(',')}]`,
  };
}

function maxLabel(raw: RawData): number {
  let max = 0;
  for (const label of raw.targets) max = Math.max(max, label);
  return max;
}

async function syntheticData(name: string, options: LoadDatasetOptions): Promise<LoadedData | null> {
  const seed = options.seed ?? 0;
  const samples = options.limit ?? options.samples ?? 2000;
  const make = (n: number, s: number): RawData | null => {
    if (name === 'blobs') return gaussianBlobs({ samples: n, seed: s });
    if (name === 'spirals') return twoSpirals({ samples: n, seed: s });
    if (name === 'linear') return linearRegression({ samples: n, seed: s });
    return null;
  };
  // The test part comes from the same distribution: the same seed for a regression's true weights.
  const all = make(samples + Math.ceil(samples / 5), seed);
  if (!all) return null;
  const task = name === 'linear' ? 'regression' : 'classification';
  const numClasses = name === 'blobs' ? 3 : 2;
  const dataset = toDataset(all, { name, task, numClasses });
  const { train, test } = splitHead(dataset, samples);
  return {
    ...(await standardizeBoth(train, test)),
    classNames: null,
    description: `${name} (synthetic, seed ${seed}): ${samples} train / ${test.size} test`,
  };
}

function splitHead(data: Dataset, head: number): { train: Dataset; test: Dataset } {
  const cut = (start: number, size: number, name: string): Dataset => ({
    ...data,
    name,
    size,
    x: tf.slice(data.x, start, size),
    y: tf.slice(data.y, [start, 0], [size, -1]),
  });
  const parts = { train: cut(0, head, data.name), test: cut(head, data.size - head, `${data.name}/test`) };
  disposeDataset(data);
  return parts;
}

async function standardizeBoth(
  train: Dataset,
  test: Dataset,
): Promise<{ train: Dataset; test: Dataset; standardizer: FeatureStatistics }> {
  const stats = fitStandardizer(train);
  try {
    const standardizer = await statisticsOf(stats);
    return { train: standardize(train, stats), test: standardize(test, stats), standardizer };
  } finally {
    tf.dispose([stats.mean, stats.std]);
  }
}

/** Read asynchronously: WebGPU in Node has no synchronous read-back. */
async function statisticsOf(stats: Standardizer): Promise<FeatureStatistics> {
  const [mean, std] = await Promise.all([stats.mean.data(), stats.std.data()]);
  return { mean: Array.from(mean), std: Array.from(std) };
}

async function loadCsv(path: string, options: LoadDatasetOptions): Promise<LoadedData> {
  if (!path) throw new InputError('data set csv:<file> needs a file name, e.g. csv:iris.csv');
  const { raw, labelNames } = readCsvFile(path, { labelColumn: options.labelColumn });
  const limited: RawData = options.limit ? limitRaw(raw, options.limit) : raw;
  const data = toDataset(limited, {
    name: `csv:${path}`,
    task: 'classification',
    numClasses: Math.max(2, labelNames.length),
  });
  const stats = fitStandardizer(data);
  try {
    const standardizer = await statisticsOf(stats);
    return {
      train: standardize(data, stats),
      test: null,
      classNames: labelNames,
      standardizer,
      description: `${path}: ${data.size} rows, ${labelNames.length} classes`,
    };
  } finally {
    tf.dispose([stats.mean, stats.std]);
  }
}

function limitRaw(raw: RawData, limit: number): RawData {
  const n = Math.min(limit, raw.targets.length);
  const width = raw.features.length / raw.targets.length;
  return { ...raw, features: raw.features.slice(0, n * width), targets: raw.targets.slice(0, n) };
}

export function disposeLoaded(data: LoadedData): void {
  disposeDataset(data.train);
  if (data.test) disposeDataset(data.test);
}
