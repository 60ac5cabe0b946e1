/**
 * Refuses BatchNorm set-ups that silently train into nonsense, and warns about the ones whose
 * meaning changes. Dense BN on a batch of one sample has batch variance 0: its output collapses to
 * beta, the moving variance decays towards 0 and inference divides by ~sqrt(epsilon). Convolutional
 * BN still averages over height x width per channel at batch 1, so it is allowed (the statistics are
 * then per image, noisier than over a batch).
 */
import * as tf from '@tensorflow/tfjs';
import type { Strategy } from '../batching';
import { adviceFor, batchOfOneCause, describeCause } from './batch-of-one';
import { BatchNormPlace, Layer, batchNormPlaces, describeBatchNorms } from './batchnorm-places';

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

/** BN layers whose statistics at batch size 1 come from one value per channel, with their places. */
function batchOfOnePlaces(model: tf.LayersModel): { refused: BatchNormPlace[]; allowed: BatchNormPlace[] } {
  const places = batchNormPlaces(model);
  const one = (p: BatchNormPlace): boolean => valuesPerChannelPerSample(p.layer) === 1;
  return { refused: places.filter(one), allowed: places.filter((p) => !one(p)) };
}

/**
 * BatchNormalization layers, wherever they sit in the model, whose statistics at batch size 1 come
 * from one value per channel (dense BN, or BN over activations whose other dimensions are all 1).
 */
export function denseBatchNormLayers(model: tf.LayersModel): string[] {
  return batchOfOnePlaces(model).refused.map((p) => p.layer.name);
}

export function hasBatchNorm(model: tf.LayersModel): boolean {
  return batchNormPlaces(model).length > 0;
}

/**
 * Throws when a dense BN layer would see a training chunk of one sample, unless allowed. The message
 * names the layers by their place, the cause (batch size, last batch or micro-batch) and the change
 * that fits it; for BN that is allowed at batch size 1 (convolutional), it says so.
 */
export function checkBatchNormBatchSize(model: tf.LayersModel, strategy: Strategy, size: number, allow: boolean): void {
  const { refused, allowed } = batchOfOnePlaces(model);
  if (allow || refused.length === 0 || strategy.smallestChunk(size) > 1) return;
  const cause = batchOfOneCause(strategy, size);
  const sentences = [
    `strategy ${strategy.label} on ${size} samples trains ${describeBatchNorms(refused)} on a batch of 1 sample ` +
      `(${describeCause(cause, strategy, size)}): the batch variance is 0, so the output collapses to beta and the ` +
      'moving variance decays to 0, which breaks inference',
    adviceFor(cause, strategy, size),
  ];
  if (allowed.length > 0) sentences.push(convolutionNote(allowed, refused));
  sentences.push(
    'Or use a model without BatchNorm, or pass allowBatchNormBatchOfOne (--allow-batch-norm-batch-of-one) to train anyway.',
  );
  throw new Error(sentences.join('. '));
}

/** Convolutional BN trains at batch size 1; say which layers are fine and how to keep only them. */
function convolutionNote(allowed: BatchNormPlace[], refused: BatchNormPlace[]): string {
  const fine = describeBatchNorms(allowed);
  const head = refused.some((p) => /dense head/.test(p.owner))
    ? ': build the CNN without BN in its dense head (headBatchNorm: false, --no-head-batch-norm) to keep BN in the convolutions'
    : '';
  const verb = allowed.length === 1 ? 'averages' : 'average';
  return `${fine[0].toUpperCase()}${fine.slice(1)} ${verb} over height x width and may train on one sample; ${describeBatchNorms(refused)} may not${head}`;
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
