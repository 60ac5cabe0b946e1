/**
 * tfjs' AdamOptimizer.applyGradients with each weight's arithmetic in one fused kernel
 * (src/ops/adam-update.ts) instead of 14 ops, keeping the optimizer's own state (moment slots,
 * beta powers, iteration count) in tfjs' form, so that getWeights, setWeights and dispose work as
 * before. Used by FusedAdamFlushingSubnormals where the backend has the kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { adamUpdate } from '../ops/adam-update';

/** One moment accumulator of one weight, as tfjs' AdamOptimizer keeps it. */
interface MomentSlot {
  originalName: string;
  variable: tf.Variable;
}

/** AdamOptimizer's own state, private in tfjs' types; the fused path keeps it in the same form. */
export interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable<tf.Rank.R0>;
  accBeta2: tf.Variable<tf.Rank.R0>;
  accumulatedFirstMoment: MomentSlot[];
  accumulatedSecondMoment: MomentSlot[];
  incrementIterations(): void;
}

export type AdamGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** tfjs' AdamOptimizer.applyGradients with each weight's arithmetic done by the fused kernel. */
export function applyFusedAdam(adam: AdamInternals, gradients: AdamGradients): void {
  const names = Array.isArray(gradients) ? gradients.map((g) => g.name) : Object.keys(gradients);
  const attrs = { learningRate: adam.learningRate, beta1: adam.beta1, beta2: adam.beta2, epsilon: adam.epsilon };
  tf.tidy(() => {
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      const slot = (suffix: string) => ({
        originalName: `${name}/${suffix}`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      });
      adam.accumulatedFirstMoment[i] ??= slot('m');
      adam.accumulatedSecondMoment[i] ??= slot('v');
      const gradient = Array.isArray(gradients) ? gradients[i].tensor : gradients[name];
      if (gradient == null) return;
      const m = adam.accumulatedFirstMoment[i].variable;
      const v = adam.accumulatedSecondMoment[i].variable;
      const [newValue, newM, newV] = adamUpdate(
        { value, gradient, m, v, accBeta1: adam.accBeta1, accBeta2: adam.accBeta2 },
        attrs,
      );
      m.assign(newM);
      v.assign(newV);
      value.assign(newValue);
    });
    adam.accBeta1.assign(tf.mul(adam.accBeta1, adam.beta1));
    adam.accBeta2.assign(tf.mul(adam.accBeta2, adam.beta2));
  });
  adam.incrementIterations();
}
