/**
 * batchlab's library entry point.
 * @example
 *   const { useBackend, loadDataset, train, miniBatch, mlp } = require('batchlab');
 *   await useBackend('auto');
 *   const { train: data, test } = await loadDataset('fashion-mnist-small');
 *   const { model, history } = await train(mlp({ batchNorm: true }), data, { strategy: miniBatch(128), epochs: 3 });
 */
export * from './batching';
export * from './backend';
export { probeBackends, formatProbes } from './doctor';
export type { BackendProbe } from './doctor';
export * from './training';
export * from '../models';
export {
  loadDataset,
  DATASET_NAMES,
  EMBEDDED_DATA_DIR,
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
} from './data/catalog';
export type { LoadDatasetOptions, LoadedData } from './data/catalog';
export { toDataset, splitDataset, subset, fitStandardizer, standardize, disposeDataset } from './data/dataset';
export type { Dataset, RawData, Task, DatasetSpec } from './data/dataset';
export { parseIdx, readIdxFile, loadIdxPair, writeIdx } from './data/idx';
export { parseCsv, readCsvFile } from './data/csv';
export { gaussianBlobs, twoSpirals, linearRegression } from './data/synthetic';
export { saveModel, loadModel, fileIOHandler } from './io/model-files';
export type { LoadedModel } from './io/model-files';
export type { DataEncoding } from './io/data-encoding';
export { writeFileAtomic, writeJsonAtomic } from './io/atomic-write';
export { createRng, deriveSeed, permutation } from './util/random';
export { compare } from './compare/compare';
export type { CompareOptions, CompareResult } from './compare/compare';
export { resolveSpec, readSpecFile, PRESETS } from './experiment/spec';
export type { ExperimentSpec, ExperimentSpecInput } from './experiment/spec';
export { summaryTable, summaryCsv } from './report/summary';
export type { SummaryRow, Stat } from './report/summary';
export type { RunResult } from './experiment/result';
export type { Checkpoint } from './experiment/probes';
export { openEventFile, readEventFile } from './io/tensorboard/event-file';
export {
  measureThroughput,
  describeThroughput,
  assessThroughput,
  THROUGHPUT_RULE,
  DEFAULT_BATCH_SIZES,
  THROUGHPUT_PRESETS,
} from './throughput';
export type { ThroughputOptions, ThroughputPoint, ThroughputSweep, ThroughputFinding } from './throughput';
export { throughputChart, writeThroughputChart } from './report/throughput-chart';
