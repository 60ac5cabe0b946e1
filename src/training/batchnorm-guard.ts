/**
 * Refuses BatchNorm set-ups that silently train into nonsense, and warns about the ones whose
 * meaning changes. Dense BN on a batch of one sample has batch variance 0: its output collapses to
 * beta, the moving variance decays towards 0 and inference divides by ~sqrt(epsilon). Convolutional
 * BN still averages over height x width per channel at batch 1, so it is allowed (the statistics are
 * then per image, noisier than over a batch).
 */
import * as tf from '@tensorflow/tfjs';
import type { Strategy } from '../batching';

type Layer = tf.LayersModel['layers'][number];

/** Every BatchNormalization layer of the model, those inside nested models included, in order. */
function batchNormLayers(model: tf.LayersModel): Layer[] {
  return model.layers.flatMap((layer) =>
    layer instanceof tf.LayersModel
      ? batchNormLayers(layer)
      : layer.getClassName() === 'BatchNormalization'
        ? [layer]
        : [],
  );
}

/**
 * Values a BN layer averages per channel for one sample: the product of its input's dimensions other
 * than the batch and the normalised axis (1 for [N, C], [N, 1, C] or [N, 1, 1, C]; H x W for images).
 */
export function valuesPerChannelPerSample(layer: Layer): number {
  // BatchNorm keeps its input's shape, so the output shape is the input's.
  const shape = layer.outputShape as (number | null)[];
  const configured = (layer.getConfig().axis as number | number[] | undefined) ?? -1;
  const axes = (Array.isArray(configured) ? configured : [configured]).map((a) => (a < 0 ? shape.length + a : a));
  return shape.reduce<number>((product, d, i) => (i === 0 || axes.includes(i) ? product : product * (d ?? 1)), 1);
}

/**
 * BatchNormalization layers, wherever they sit in the model, whose statistics at batch size 1 come
 * from one value per channel (dense BN, or BN over activations whose other dimensions are all 1).
 */
export function denseBatchNormLayers(model: tf.LayersModel): string[] {
  return batchNormLayers(model)
    .filter((layer) => valuesPerChannelPerSample(layer) === 1)
    .map((layer) => layer.name);
}

export function hasBatchNorm(model: tf.LayersModel): boolean {
  return batchNormLayers(model).length > 0;
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
