/**
 * The training settings besides model, data and optimizer that decide every later update, as text a
 * checkpoint keeps in its identity (./run-identity) so that resuming with another value is refused
 * naming both: the learning-rate schedule (with its peak and, for one that spans the run, its span),
 * gradient clipping, each BatchNorm layer's variant (momentum, epsilon, moving-variance convention,
 * ghost groups, batch renorm) and how BN meets micro-batches. A setting that cannot act on the run
 * (bnAccumulation without BN under micro-batches) is written as unused, so it never refuses a resume.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Strategy } from '../batching';
import { describeBatchRenorm } from '../../models/batch-renorm';
import { isBatchlabBatchNorm } from '../../models/batch-norm-layer';
import { batchNormPlaces } from './batchnorm-places';
import type { BnAccumulation } from './bn-accumulation';
import type { GradientClipping } from './clipping';
import type { RateScheduler } from './schedules';

export interface RunSettingsSource {
  model: tf.LayersModel;
  strategy: Strategy;
  scheduler: RateScheduler | null;
  clip: GradientClipping | null;
  bnAccumulation: BnAccumulation;
}

export interface RunSettings {
  /** e.g. `warmup:100+cosine, peak 0.01, spanning 500 updates`, or `none`. */
  lrSchedule: string;
  /** e.g. `clipNorm 1, clipValue 0.5`, or `none`. */
  clipping: string;
  /** Each BN layer's variant by its place, e.g. `hidden layer 1: ghost BN (groups of 16), momentum 0.9, ...`; `none` without BN. */
  batchNorm: string;
  /** `chunk`, `exact`, or `unused` when no BN layer meets micro-batches. */
  bnAccumulation: string;
}

export function runSettings(source: RunSettingsSource): RunSettings {
  const usesAccumulation = source.strategy.microBatch !== undefined && batchNormPlaces(source.model).length > 0;
  return {
    lrSchedule: describeScheduler(source.scheduler),
    clipping: describeClipping(source.clip),
    batchNorm: describeBatchNormLayers(source.model),
    bnAccumulation: usesAccumulation ? source.bnAccumulation : 'unused',
  };
}

function describeScheduler(scheduler: RateScheduler | null): string {
  if (scheduler === null) return 'none';
  const { schedule, peak, run } = scheduler;
  return `${schedule.label}, peak ${peak}${schedule.spansRun ? `, spanning ${run.totalUpdates} updates` : ''}`;
}

function describeClipping(clip: GradientClipping | null): string {
  const parts = [
    ...(clip?.clipNorm === undefined ? [] : [`clipNorm ${clip.clipNorm}`]),
    ...(clip?.clipValue === undefined ? [] : [`clipValue ${clip.clipValue}`]),
  ];
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** `hidden layer 1: BN, momentum 0.9, epsilon 0.001, biased moving variance; hidden layer 2: ...`. */
function describeBatchNormLayers(model: tf.LayersModel): string {
  const places = batchNormPlaces(model);
  if (places.length === 0) return 'none';
  return places.map(({ layer, owner }) => `${owner}: ${describeLayer(layer)}`).join('; ');
}

function describeLayer(layer: tf.layers.Layer): string {
  const config = layer.getConfig();
  const common = `momentum ${JSON.stringify(config.momentum)}, epsilon ${JSON.stringify(config.epsilon)}`;
  if (!isBatchlabBatchNorm(layer)) return `BN, ${common}`;
  const variant =
    layer.ghostBatch !== null
      ? `ghost BN (groups of ${layer.ghostBatch})`
      : layer.batchRenorm !== null
        ? `batch renorm (${describeBatchRenorm(layer.batchRenorm)})`
        : 'BN';
  return `${variant}, ${common}, ${layer.unbiasedMovingVariance ? 'unbiased' : 'biased'} moving variance`;
}
