/**
 * Adam and momentum keep per-weight moving averages that decay geometrically wherever a gradient is
 * always 0 (Fashion-MNIST's blank border pixels, dead ReLUs): after ~900 updates they reach float32
 * subnormal numbers, and arithmetic on subnormals is many times slower on x86 CPUs (wasm has no
 * flush-to-zero mode). A long SGD run on wasm slowed from 7 to 16 ms per step that way. These
 * optimizers set accumulator entries below 1e-30 to exactly 0 every FLUSH_EVERY updates; a moment
 * that small changes no weight (Adam divides it by sqrt(v) + 1e-7).
 *
 * Where the backend has the fused Adam kernel (src/ops/adam-update.ts: wasm with batchlab's kernel
 * pack), FlushingAdam makes each weight's update one kernel instead of 13 ops, flushing as it goes.
 */
import * as tf from '@tensorflow/tfjs';
import { adamUpdate, hasFusedAdamUpdate } from '../ops/adam-update';

export const FLUSH_EVERY = 100;
const TINY = 1e-30;

interface SlotVariable {
  variable: tf.Variable;
}

function flush(slots: (SlotVariable | undefined)[]): void {
  tf.tidy(() => {
    for (const slot of slots) {
      if (slot) slot.variable.assign(tf.where(tf.less(tf.abs(slot.variable), TINY), tf.zerosLike(slot.variable), slot.variable));
    }
  });
}

/** AdamOptimizer's own state, private in tfjs' types; the fused path keeps it in the same form. */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable<tf.Rank.R0>;
  accBeta2: tf.Variable<tf.Rank.R0>;
  accumulatedFirstMoment: (SlotVariable & { originalName: string })[];
  accumulatedSecondMoment: (SlotVariable & { originalName: string })[];
  incrementIterations(): void;
}

type AdamGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** tfjs' AdamOptimizer.applyGradients with each weight's arithmetic done by the fused kernel. */
function applyFusedAdam(adam: AdamInternals, gradients: AdamGradients): void {
  const names = Array.isArray(gradients) ? gradients.map((g) => g.name) : Object.keys(gradients);
  const attrs = { learningRate: adam.learningRate, beta1: adam.beta1, beta2: adam.beta2, epsilon: adam.epsilon };
  tf.tidy(() => {
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      const slot = (suffix: string) => ({ originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) });
      adam.accumulatedFirstMoment[i] ??= slot('m');
      adam.accumulatedSecondMoment[i] ??= slot('v');
      const gradient = Array.isArray(gradients) ? gradients[i].tensor : gradients[name];
      if (gradient == null) return;
      const m = adam.accumulatedFirstMoment[i].variable;
      const v = adam.accumulatedSecondMoment[i].variable;
      const [newValue, newM, newV] = adamUpdate({ value, gradient, m, v, accBeta1: adam.accBeta1, accBeta2: adam.accBeta2 }, attrs);
      m.assign(newM);
      v.assign(newV);
      value.assign(newValue);
    });
    adam.accBeta1.assign(tf.mul(adam.accBeta1, adam.beta1));
    adam.accBeta2.assign(tf.mul(adam.accBeta2, adam.beta2));
  });
  adam.incrementIterations();
}

export class FlushingAdam extends tf.AdamOptimizer {
  private updates = 0;

  override applyGradients(gradients: AdamGradients): void {
    if (hasFusedAdamUpdate()) {
      applyFusedAdam(this as unknown as AdamInternals, gradients);
      return;
    }
    super.applyGradients(gradients);
    if (++this.updates % FLUSH_EVERY !== 0) return;
    // The moment slots are private in tfjs; they are plain arrays of {originalName, variable}.
    const slots = this as unknown as { accumulatedFirstMoment: SlotVariable[]; accumulatedSecondMoment: SlotVariable[] };
    flush([...slots.accumulatedFirstMoment, ...slots.accumulatedSecondMoment]);
  }
}

export class FlushingMomentum extends tf.MomentumOptimizer {
  private updates = 0;

  override applyGradients(gradients: Parameters<tf.MomentumOptimizer['applyGradients']>[0]): void {
    super.applyGradients(gradients);
    if (++this.updates % FLUSH_EVERY !== 0) return;
    flush((this as unknown as { accumulations: SlotVariable[] }).accumulations);
  }
}
