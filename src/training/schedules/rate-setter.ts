/**
 * Setting an optimizer's learning rate between updates. tfjs' SGD and momentum optimizers have
 * setLearningRate; Adam, RMSProp, Adagrad, Adadelta and Adamax keep the rate in a protected field
 * with no setter, so batchlab's own Adam (../flush-denormals) adds one. An optimizer instance
 * without a setter is refused with a message saying what works instead.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LrSchedule, RunShape } from './schedule';

/** An optimizer whose learning rate can be changed between updates. */
export interface RateSettable {
  setLearningRate(rate: number): void;
}

export function hasRateSetter(optimizer: tf.Optimizer): optimizer is tf.Optimizer & RateSettable {
  return typeof (optimizer as tf.Optimizer & Partial<RateSettable>).setLearningRate === 'function';
}

/** The optimizer as a RateSettable, or an error saying why a schedule cannot drive it. */
export function rateSetterOf(optimizer: tf.Optimizer, who = 'schedule'): tf.Optimizer & RateSettable {
  if (hasRateSetter(optimizer)) return optimizer;
  const name = optimizer.getClassName();
  throw new Error(
    `${who}: the optimizer instance ${name} keeps its learning rate private (tfjs gives ${name} no setLearningRate), so a schedule cannot change it; pass optimizer 'sgd', 'momentum' or 'adam' by name, tf.train.sgd or tf.train.momentum, or an optimizer with a setLearningRate(rate) method`,
  );
}

/** The learning rate an optimizer instance was made with, as its config records it; NaN if none. */
export function configuredRate(optimizer: tf.Optimizer): number {
  const rate = optimizer.getConfig().learningRate;
  return typeof rate === 'number' ? rate : NaN;
}

/**
 * Sets the rate for each update: peak x the schedule's factor, passed to the optimizer only when it
 * changes, so that a constant schedule leaves the optimizer exactly as without one.
 */
export class RateScheduler {
  private current: number;
  private readonly factorAt: (update: number) => number;

  constructor(
    readonly schedule: LrSchedule,
    private readonly optimizer: RateSettable,
    readonly peak: number,
    /** The run the schedule was resolved against (a checkpoint's identity names its span). */
    readonly run: RunShape,
    /** The optimizer's rate before the first update. Default: the peak. */
    initial = peak,
  ) {
    this.factorAt = schedule.resolve(run);
    this.current = initial;
  }

  /** The rate of `update` (0-based), set on the optimizer. */
  apply(update: number): number {
    const rate = this.rateAt(update);
    if (rate !== this.current) {
      this.optimizer.setLearningRate(rate);
      this.current = rate;
    }
    return rate;
  }

  rateAt(update: number): number {
    return this.peak * this.factorAt(update);
  }
}
