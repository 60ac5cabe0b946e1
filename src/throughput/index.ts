/** The throughput sweep's public surface: measuring, the rules that describe it, and its text forms. */
export { measureThroughput } from './measure';
export {
  DEFAULT_BACKENDS,
  DEFAULT_BATCH_SIZES,
  POWERS_OF_TWO_BATCH_SIZES,
  THROUGHPUT_PRESETS,
  THROUGHPUT_PRESET_NAMES,
  isPowerOfTwo,
  resolveThroughputOptions,
} from './sweep';
export type {
  RepeatEvent,
  ThroughputFailure,
  ThroughputOptions,
  ThroughputPoint,
  ThroughputPreset,
  ThroughputPresetValues,
  ThroughputSettings,
  ThroughputSweep,
} from './sweep';
export {
  NEIGHBOURHOOD,
  PLATEAU_FRACTION,
  THROUGHPUT_RULE,
  assessThroughput,
  comparePowers,
  describeThroughput,
  findPlateau,
  formatRate,
  mean,
  standardDeviation,
  powerVerdict,
  predicted,
} from './describe';
export type { Plateau, PowerComparison, PowerVerdict, ThroughputFinding } from './describe';
export { CSV_COLUMNS, formatThroughputTable, throughputCsv } from './table';
