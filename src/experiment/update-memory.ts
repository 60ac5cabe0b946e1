/**
 * The memory one weight update needs on top of what is already held (data set, model weights,
 * optimizer state): the peak of the engine's tensor bytes during the update (tf.profile, a snapshot
 * after every kernel), minus the bytes held when it starts. That is the update's activations,
 * gradients, gathered batch and optimizer temporaries.
 *
 * Measured on probe updates of a copy of the run's model (same builder, same seed) with an optimizer
 * of its own: one update to create the optimizer's slots, then one profiled update on the strategy's
 * first batch, chunked and accumulated (in the cell's BN mode) as the trainer does it. The run
 * itself is never profiled, since profiling records every kernel and may wait for each. Memory a
 * backend keeps outside tensors (the wasm heap's kernel scratch, which also never shrinks) is not a
 * tensor: the process's peak resident set size covers it. The trainer owns the step; this module
 * only calls it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Strategy } from '../batching';
import type { Dataset } from '../data/dataset';
import type { ModelBuilder } from '../../models';
import { BnAccumulation, makeOptimizer, OptimizerName } from '../training';
import type { StepContext } from '../training/step';
import { runStep } from '../training/train';
import { denseChainOf } from '../training/dense-chain';
import { GradientClipping, resolveClipping } from '../training/clipping';

export interface UpdateMemoryProbe {
  builder: ModelBuilder;
  data: Dataset;
  strategy: Strategy;
  optimizer: OptimizerName;
  learningRate: number;
  seed: number;
  /** How BN layers meet the micro-batches. Default: 'chunk'. */
  bnAccumulation?: BnAccumulation;
  /** The run's gradient clipping, which holds the gradient's norm and the clipped gradients. Default: none. */
  clip?: GradientClipping;
}

/** Peak tensor bytes one update adds above what is held before it. */
export async function updatePeakBytes(probe: UpdateMemoryProbe): Promise<number> {
  const { builder, data, strategy, seed } = probe;
  const model = builder.build({ inputShape: data.inputShape, outputs: data.numClasses }, seed);
  const optimizer = makeOptimizer(probe.optimizer, probe.learningRate);
  try {
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    // The trainer's own path: a chain of Dense layers trains off the gradient tape, and clipping.
    const ctx: StepContext = {
      model,
      data,
      optimizer,
      variables,
      clip: resolveClipping(probe.clip ?? {}),
      chain: denseChainOf(model, variables, data.task),
    };
    const batch = strategy.batches(data.size, 0, seed)[0];
    // The trainer's own step: larger batches in chunks, BN accumulated in the run's mode.
    const update = (): void => {
      const result = runStep(ctx, batch, strategy.microBatch, probe.bnAccumulation ?? 'chunk');
      tf.dispose([result.loss, result.correct ?? [], result.gradNorm ?? []]);
    };
    update();
    const before = tf.memory().numBytes;
    const profile = await tf.profile(update);
    const peak = profile.kernels.reduce((m, k) => Math.max(m, k.totalBytesSnapshot), before);
    return peak - before;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
