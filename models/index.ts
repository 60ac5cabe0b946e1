export { mlp } from './mlp';
export type { MlpOptions } from './mlp';
export { cnn } from './cnn';
export type { CnnOptions } from './cnn';
export { logistic } from './logistic';
export type { ModelBuilder, ModelShape, BatchNormOptions, Activation, BnPosition } from './builder';
export { batchNormalization as batchNormalizationLayer } from './batch-norm-layer';
export { conv2d as conv2dLayer } from './conv2d-layer';
export { dense as denseLayer } from './dense-layer';
