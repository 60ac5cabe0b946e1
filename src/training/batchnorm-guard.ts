/**
 * Refuses BatchNorm set-ups that silently train into nonsense, and warns about the ones whose
 * meaning changes. Dense BN on a batch of one sample has batch variance 0: its output collapses to
 * beta, the moving variance decays towards 0 and inference divides by ~sqrt(epsilon). Convolutional
 * BN still averages over height x width per channel at batch 1, so it is allowed (the statistics are
 * then per image, noisier than over a batch). Ghost BN counts per group: a layer with ghostBatch g
 * normalises each chunk in groups of g, so its smallest group is what matters, and a group shorter
 * than g (g not dividing a chunk) is refused unless allowed.
 */
import * as tf from '@tensorflow/tfjs';
import type { Strategy } from '../batching';
import { ghostBatchOf } from '../../models/batch-norm-layer';
import { ghostGroupSizes } from '../../models/ghost-batch-norm';
import { adviceFor, batchOfOneCause, describeCause } from './batch-of-one';
import { BnAccumulation, describeBnAccumulation } from './bn-accumulation';
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

/** The fewest samples a BN layer normalises together: its smallest ghost group, or the smallest chunk. */
function smallestGroup(layer: Layer, chunks: number[]): number {
  const g = ghostBatchOf(layer);
  return Math.min(...chunks.flatMap((c) => (g === null ? [c] : ghostGroupSizes(c, g))));
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
  const { refused: dense, allowed } = batchOfOnePlaces(model);
  const chunks = strategy.chunkSizes(size);
  const refused = dense.filter((p) => smallestGroup(p.layer, chunks) === 1);
  if (allow || refused.length === 0) return;
  const ghost = refused.some((p) => ghostBatchOf(p.layer) !== null);
  const cause = batchOfOneCause(strategy, size);
  const sentences = [
    `strategy ${strategy.label} on ${size} samples trains ${describeBatchNorms(refused)} on a batch of 1 sample ` +
      `(${ghost ? 'a ghost batch of 1, or a short last ghost group of 1' : describeCause(cause, strategy, size)}): ` +
      'the batch variance is 0, so the output collapses to beta and the moving variance decays to 0, which breaks ' +
      'inference',
    ghost ? 'Use a ghostBatch of at least 2 that divides the batch' : adviceFor(cause, strategy, size),
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

/**
 * Throws when a ghost BN layer's group size does not divide every chunk the strategy feeds (the last
 * group would be shorter), unless allowed.
 */
export function checkGhostBatches(model: tf.LayersModel, strategy: Strategy, size: number, allowShort: boolean): void {
  if (allowShort) return;
  const chunks = strategy.chunkSizes(size);
  for (const { layer } of batchNormPlaces(model)) {
    const g = ghostBatchOf(layer);
    const short = g === null ? undefined : chunks.find((c) => c % g !== 0);
    if (g === null || short === undefined) continue;
    throw new Error(
      `ghostBatch ${g} does not divide every chunk strategy ${strategy.label} feeds on ${size} samples ` +
        `(${chunks.join(', ')}): a chunk of ${short} would end in a group of ${short % g} samples normalised on its own. ` +
        'Choose a ghostBatch that divides the batch (and its micro-batches and last batch), drop the short last ' +
        'batch (dropLast, --drop-last), or pass allowShortGhostBatch (--allow-short-ghost-batch) to train anyway.',
    );
  }
}

/** The micro-batch when BN layers meet micro-batches smaller than the batch, else null. */
function bnMicroBatch(model: tf.LayersModel, strategy: Strategy, size: number): number | null {
  const microBatch = strategy.microBatch;
  if (microBatch === undefined || !hasBatchNorm(model) || microBatch >= strategy.batchSize(size)) return null;
  return microBatch;
}

/**
 * What exact accumulation computes, for logs that name the mode (chunk has accumulationWarning),
 * or null when BN meets no micro-batches smaller than the batch.
 */
export function exactAccumulationNote(model: tf.LayersModel, strategy: Strategy, size: number): string | null {
  const microBatch = bnMicroBatch(model, strategy, size);
  if (microBatch === null) return null;
  return (
    `micro-batches of ${microBatch} with BatchNorm, bnAccumulation ${describeBnAccumulation('exact', microBatch)}: ` +
    "every chunk is normalised with the whole batch's statistics, so the update is one over the whole batch " +
    'to float rounding.'
  );
}

/** Why gradient accumulation changes what BN computes, or null when it does not apply. */
export function accumulationWarning(
  model: tf.LayersModel,
  strategy: Strategy,
  size: number,
  mode: BnAccumulation = 'chunk',
): string | null {
  const microBatch = bnMicroBatch(model, strategy, size);
  if (microBatch === null) return null;
  return (
    `micro-batches of ${microBatch} with BatchNorm, bnAccumulation ${describeBnAccumulation(mode, microBatch)}: ` +
    'each chunk is normalised with its own statistics and updates the moving mean/variance once, so the update ' +
    'is not identical to one over the whole batch.'
  );
}
