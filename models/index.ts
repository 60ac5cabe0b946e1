/**
 * The models batchlab offers by name: one registry (names, a description, a builder taking the
 * common options) that the CLI, the experiment spec and its cells read, and the builders themselves
 * for library use. Each builder file owns its architecture; this file owns only the list.
 */
import { cnn } from './cnn';
import { logistic } from './logistic';
import { mlp } from './mlp';
import type { BatchNormOptions, ModelBuilder } from './builder';

export { mlp } from './mlp';
export type { MlpOptions } from './mlp';
export { cnn } from './cnn';
export type { CnnOptions } from './cnn';
export { logistic } from './logistic';
export type { ModelBuilder, ModelShape, BatchNormOptions, Activation, BnPosition, BnConvention } from './builder';
export { BN_CONVENTIONS } from './builder';
export { batchNormalization as batchNormalizationLayer, setBatchRenormStep } from './batch-norm-layer';
export { BATCH_RENORM_DEFAULTS, parseBatchRenorm, renormLimits } from './batch-renorm';
export type { BatchRenorm, BatchRenormOptions } from './batch-renorm';
export { conv2d as conv2dLayer } from './conv2d-layer';
export { dense as denseLayer } from './dense-layer';

/** Options any model may be asked for by name; each takes the ones listed in its `takes`. */
export interface ModelOptions extends BatchNormOptions {
  /** mlp: units of each hidden layer. */
  hidden?: number[];
  /** cnn: filters of each convolution block. */
  filters?: number[];
  /** mlp, cnn: dropout rate. */
  dropout?: number;
  /** cnn: BatchNorm in the dense head too, with `batchNorm` (false: in the convolutions only). */
  headBatchNorm?: boolean;
}

/** Options that only some models take (a model without hidden layers refuses batchNorm: true). */
type SpecificOption = 'hidden' | 'filters' | 'dropout' | 'headBatchNorm';

interface ModelEntry {
  description: string;
  /** Whether the model has hidden layers for BatchNorm to follow (logistic has none). */
  batchNorm: boolean;
  takes: readonly SpecificOption[];
  build(options: ModelOptions): ModelBuilder;
}

export const MODELS = {
  mlp: {
    description: 'multi-layer perceptron, BatchNorm and dropout optional per hidden layer',
    batchNorm: true,
    takes: ['hidden', 'dropout'],
    build: ({ filters: _, headBatchNorm: __, ...options }) => mlp(options),
  },
  cnn: {
    description: 'convolution blocks with max pooling, then a dense head',
    batchNorm: true,
    takes: ['filters', 'dropout', 'headBatchNorm'],
    build: ({ hidden: _, ...options }) => cnn(options),
  },
  logistic: {
    description: 'one dense layer on the input (softmax or linear regression)',
    batchNorm: false,
    takes: [],
    build: () => logistic(),
  },
} as const satisfies Record<string, ModelEntry>;

export type ModelName = keyof typeof MODELS;
export const MODEL_NAMES = Object.keys(MODELS) as [ModelName, ...ModelName[]];

/** The builder of the model called `name`; refuses an option that model does not take, naming both. */
export function modelBuilder(name: ModelName, options: ModelOptions = {}): ModelBuilder {
  const entry: ModelEntry | undefined = MODELS[name];
  if (!entry) throw new Error(`model must be one of ${MODEL_NAMES.join(', ')}, got ${String(name)}`);
  const specific: SpecificOption[] = ['hidden', 'filters', 'dropout', 'headBatchNorm'];
  const refused = specific.find((key) => options[key] !== undefined && !entry.takes.includes(key));
  if (refused) {
    const takers = MODEL_NAMES.filter((n) => (MODELS[n].takes as readonly SpecificOption[]).includes(refused));
    throw new Error(`${name} takes no ${refused} option (${refused} applies to ${takers.join(', ')})`);
  }
  if (options.batchNorm && !entry.batchNorm) {
    const takers = MODEL_NAMES.filter((n) => MODELS[n].batchNorm);
    throw new Error(`${name} has no hidden layers, so no BatchNorm (batchNorm applies to ${takers.join(', ')})`);
  }
  return entry.build(options);
}

/** The models that have BatchNorm to switch on: `MODELS[name].batchNorm`. */
export function takesBatchNorm(name: ModelName): boolean {
  return MODELS[name].batchNorm;
}
