/**
 * Adam and momentum keep per-weight moving averages that decay geometrically wherever a gradient is
 * always 0 (Fashion-MNIST's blank border pixels, dead ReLUs): after ~900 updates they reach float32
 * subnormal numbers, and arithmetic on subnormals is many times slower on x86 CPUs (wasm has no
 * flush-to-zero mode). A long SGD run on wasm slowed from 7 to 16 ms per step that way. These
 * optimizers set accumulator entries below 1e-30 to exactly 0 every FLUSH_SUBNORMALS_EVERY updates; a moment
 * that small changes no weight (Adam divides it by sqrt(v) + 1e-7). They count updates with tfjs' own
 * `iterations`, which a checkpoint restores, so a resumed run flushes at the same updates.
 *
 * Where the backend has the fused Adam kernel (wasm, cpu or webgpu with batchlab's kernels),
 * FusedAdamFlushingSubnormals updates through ./fused-adam instead, whose kernel flushes as it goes.
 */
import * as tf from '@tensorflow/tfjs';
import { hasFusedAdamUpdate } from '../ops/adam-update';
import { AdamGradients, AdamInternals, applyFusedAdam } from './fused-adam';

export const FLUSH_SUBNORMALS_EVERY = 100;
const TINY = 1e-30;

interface SlotVariable {
  variable: tf.Variable;
}

function zeroSubnormals(slots: (SlotVariable | undefined)[]): void {
  tf.tidy(() => {
    for (const slot of slots) {
      if (slot)
        slot.variable.assign(
          tf.where(tf.less(tf.abs(slot.variable), TINY), tf.zerosLike(slot.variable), slot.variable),
        );
    }
  });
}

/** tf.train.adam: one fused kernel per weight where the backend has it, subnormal moments flushed to 0. */
export class FusedAdamFlushingSubnormals extends tf.AdamOptimizer {
  /** What tfjs' AdamOptimizer lacks, for learning-rate schedules: both update paths read this field. */
  setLearningRate(rate: number): void {
    this.learningRate = rate;
  }

  override applyGradients(gradients: AdamGradients): void {
    if (hasFusedAdamUpdate()) {
      applyFusedAdam(this as unknown as AdamInternals, gradients);
      return;
    }
    super.applyGradients(gradients);
    if (this.iterations % FLUSH_SUBNORMALS_EVERY !== 0) return;
    // The moment slots are private in tfjs; they are plain arrays of {originalName, variable}.
    const slots = this as unknown as {
      accumulatedFirstMoment: SlotVariable[];
      accumulatedSecondMoment: SlotVariable[];
    };
    zeroSubnormals([...slots.accumulatedFirstMoment, ...slots.accumulatedSecondMoment]);
  }
}

/** tf.train.momentum with its accumulators' subnormal entries flushed to 0. */
export class MomentumFlushingSubnormals extends tf.MomentumOptimizer {
  override applyGradients(gradients: Parameters<tf.MomentumOptimizer['applyGradients']>[0]): void {
    super.applyGradients(gradients);
    if (this.iterations % FLUSH_SUBNORMALS_EVERY !== 0) return;
    zeroSubnormals((this as unknown as { accumulations: SlotVariable[] }).accumulations);
  }

  /** tfjs' MomentumOptimizer.dispose leaves SGD's learning-rate scalar behind: one tensor per optimizer. */
  override dispose(): void {
    super.dispose();
    this.c.dispose();
  }
}
