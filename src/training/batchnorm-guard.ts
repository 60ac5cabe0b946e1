/**
 * Refuses BatchNorm set-ups that silently train into nonsense, and warns about the ones whose
 * meaning changes. Dense BN on a batch of one sample has batch variance 0: its output collapses to
 * beta, the moving variance decays towards 0 and inference divides by ~sqrt(epsilon). Convolutional
 * BN still averages over height x width per channel at batch 1, so it is allowed (the statistics are
 * then per image, noisier than over a batch).
 */
import * as tf from '@tensorflow/tfjs';
import type { Strategy } from '../batching';

/** BatchNormalization layers whose statistics come from the batch axis alone (rank-2 input). */
export function denseBatchNormLayers(model: tf.LayersModel): string[] {
  return model.layers
    .filter((layer) => layer.getClassName() === 'BatchNormalization' && layer.outputShape.length === 2)
    .map((layer) => layer.name);
}

export function hasBatchNorm(model: tf.LayersModel): boolean {
  return model.layers.some((layer) => layer.getClassName() === 'BatchNormalization');
}

/** Throws when a dense BN layer would see a training chunk of one sample, unless allowed. */
export function checkBatchNormBatchSize(model: tf.LayersModel, strategy: Strategy, size: number, allow: boolean): void {
  const layers = denseBatchNormLayers(model);
  if (allow || layers.length === 0 || strategy.smallestChunk(size) > 1) return;
  throw new Error(
    `strategy ${strategy.label} on ${size} samples trains BatchNorm layer(s) ${layers.join(', ')} on a batch of 1 sample: ` +
      'the batch variance is 0, so the output collapses to beta and the moving variance decays to 0, which breaks ' +
      'inference. Use a batch size of at least 2 (for mini-batch, one whose last batch is not a single sample, or ' +
      'dropLast), a model without BatchNorm, or pass allowBatchNormBatchOfOne (--allow-batch-norm-batch-of-one) to train anyway.',
  );
}

/** Why gradient accumulation changes what BN computes, or null when it does not apply. */
export function accumulationWarning(model: tf.LayersModel, strategy: Strategy, size: number): string | null {
  const microBatch = strategy.microBatch;
  if (microBatch === undefined || !hasBatchNorm(model) || microBatch >= strategy.batchSize(size)) return null;
  return (
    `micro-batches of ${microBatch} with BatchNorm: each chunk is normalised with its own statistics and updates ` +
    'the moving mean/variance once per chunk, so the update is not identical to one over the whole batch.'
  );
}
