export { epochOrder } from './order';
export { groupIntoBatches, batchCount, splitIntoMicroBatches } from './grouping';
export { fullBatch, sgd, miniBatch, parseStrategy, withMicroBatch, withoutMicroBatch } from './strategy';
export type { Strategy, StrategyKind, StrategyOptions, MiniBatchOptions } from './strategy';
