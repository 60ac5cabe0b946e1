/** Learning-rate schedules: the shapes, warm-up, their text form, and driving an optimizer's rate. */
export { constantRate, stepDecay, exponentialDecay, cosine, oneCycle } from './shapes';
export type { DecayOptions, CosineOptions, OneCycleOptions } from './shapes';
export { warmup, startWarmupAt } from './warmup';
export type { WarmupOptions } from './warmup';
export { parseLrSchedule, splitLrSchedules, LR_SCHEDULE_SYNTAX } from './parse';
export type { LrSchedule, Duration, RunShape } from './schedule';
export { RateScheduler, rateSetterOf, hasRateSetter, configuredRate } from './rate-setter';
export type { RateSettable } from './rate-setter';
