export { mlp } from './mlp';
export type { MlpOptions } from './mlp';
export { cnn } from './cnn';
export type { CnnOptions } from './cnn';
export { logistic } from './logistic';
export type { ModelBuilder, ModelShape, BatchNormOptions, Activation, BnPosition } from './builder';
