/**
 * The memory one weight update needs on top of what is already held (data set, model weights,
 * optimizer state): the peak of the engine's tensor bytes during the update (tf.profile, a snapshot
 * after every kernel), minus the bytes held when it starts. That is the update's activations,
 * gradients, gathered batch and optimizer temporaries.
 *
 * Measured on probe updates of a copy of the run's model (same builder, same seed) with an optimizer
 * of its own: one update to create the optimizer's slots, then one profiled update on the strategy's
 * first batch, chunked as the trainer chunks it. The run itself is never profiled, since profiling
 * records every kernel and may wait for each. Memory a backend keeps outside tensors (the wasm
 * heap's kernel scratch, which also never shrinks) is not a tensor: the process's peak resident set
 * size covers it. The trainer owns the step; this module only calls it.
 */
import * as tf from '@tensorflow/tfjs';
import { Strategy, splitIntoMicroBatches } from '../batching';
import type { Dataset } from '../data/dataset';
import type { ModelBuilder } from '../../models';
import { makeOptimizer, OptimizerName } from '../training';
import { StepContext, accumulatedStep, singleStep } from '../training/step';

export interface UpdateMemoryProbe {
  builder: ModelBuilder;
  data: Dataset;
  strategy: Strategy;
  optimizer: OptimizerName;
  learningRate: number;
  seed: number;
}

/** Peak tensor bytes one update adds above what is held before it. */
export async function updatePeakBytes(probe: UpdateMemoryProbe): Promise<number> {
  const { builder, data, strategy, seed } = probe;
  const model = builder.build({ inputShape: data.inputShape, outputs: data.numClasses }, seed);
  const optimizer = makeOptimizer(probe.optimizer, probe.learningRate);
  try {
    const ctx: StepContext = {
      model,
      data,
      optimizer,
      variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    };
    const batch = strategy.batches(data.size, 0, seed)[0];
    // As the trainer: larger batches in chunks (the step itself skips the gather of a whole, in-order batch).
    const update = (): void => {
      const chunks = splitIntoMicroBatches(batch, strategy.microBatch);
      const result = chunks.length > 1 ? accumulatedStep(ctx, chunks) : singleStep(ctx, batch);
      tf.dispose([result.loss, result.correct ?? []]);
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
