/** The trainer's public surface: train, evaluate, the stock callbacks, optimizers and the run record. */
export { train } from './train';
export type { TrainResult } from './train';
export type { TrainOptions } from './options';
export { evaluate } from './evaluate';
export type { Evaluation } from './evaluate';
export { earlyStopping, stopAtAccuracy, stopOnNonFinite } from './callbacks';
export type { Callback, TrainControl, TrainInfo, StepProgress, EarlyStoppingOptions, Monitor } from './callbacks';
export { progressBar, formatEpoch } from './progress-bar';
export { makeOptimizer, OPTIMIZER_NAMES, DEFAULT_LEARNING_RATES } from './optimizers';
export type { OptimizerName } from './optimizers';
export type { History, EpochRecord, UpdateRecord, StopKind, StopReason } from './history';
export { BN_ACCUMULATIONS, resolveBnAccumulation } from './bn-accumulation';
export type { BnAccumulation } from './bn-accumulation';
export {
  constantRate,
  stepDecay,
  exponentialDecay,
  cosine,
  oneCycle,
  warmup,
  startWarmupAt,
  parseLrSchedule,
  splitLrSchedules,
  LR_SCHEDULE_SYNTAX,
} from './schedules';
export type {
  LrSchedule,
  Duration,
  RunShape,
  DecayOptions,
  CosineOptions,
  OneCycleOptions,
  WarmupOptions,
} from './schedules';
export type { GradientClipping } from './clipping';
export { lrFind } from './lr-find';
export type { LrFindOptions, LrFindResult } from './lr-find';
export type { LrFindPoint, LrSuggestion } from './lr-range';
export { checkResume } from './resume-check';
