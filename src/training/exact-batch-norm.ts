/**
 * The exact accumulated step: a batch evaluated in micro-batches whose BatchNorm layers normalise
 * with the whole batch's statistics and back-propagate the whole batch's coupling terms, so the
 * update and the moving statistics equal one pass over the batch to float rounding, while only one
 * chunk's activations exist at a time (bnAccumulation 'exact').
 *
 * It costs passes over the chunks: one forward pass per BN layer, bottom up, to gather that layer's
 * statistics (earlier layers already normalised with theirs); one backward pass per BN layer, top
 * down, to gather its coupling terms (later layers already exact); and the final pass that makes the
 * update (./step's accumulatedStep, with every layer exact). See ./fixed-batch-norm.ts for the maths.
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNormalization, isBatchlabBatchNorm, withBatchNormOverride } from '../../models/batch-norm-layer';
import { ChannelMoments, ChannelSums, Coupling, FixedStatistics, normalizeWith } from './fixed-batch-norm';
import { StepContext, StepResult, accumulatedStep, forward, gatherBatch, releaseBatch } from './step';

interface LayerState {
  stats: FixedStatistics;
  /** Values per channel in the whole batch. */
  count: number;
  coupling: Coupling | null;
}

/** Thrown by the statistics pass's override once the layer it gathers for has seen its input. */
class StopForward extends Error {}

type Layer = tf.LayersModel['layers'][number];

/**
 * The model's BN layers in the order the forward pass reaches them, nested models included; throws
 * for a BN layer the exact mode cannot drive.
 */
export function exactBatchNormLayers(model: tf.LayersModel): BatchNormalization[] {
  const walk = (layers: Layer[]): BatchNormalization[] =>
    layers.flatMap((layer) => {
      if (layer instanceof tf.LayersModel) return walk(layer.layers);
      if (layer.getClassName() !== 'BatchNormalization') return [];
      if (!isBatchlabBatchNorm(layer)) {
        throw new Error(
          `bnAccumulation 'exact' needs batchlab's BatchNormalization layer (batchNormalizationLayer()); ` +
            `layer '${layer.name}' is tfjs' own`,
        );
      }
      if (layer.ghostBatch !== null || layer.batchRenorm !== null) {
        throw new Error(
          `bnAccumulation 'exact' normalises over the whole batch, which plain BatchNorm does; layer ` +
            `'${layer.name}' uses ${layer.ghostBatch !== null ? 'ghost batches' : 'batch renormalization'}`,
        );
      }
      const axis = layer.parts.axis;
      const rank = (layer.outputShape as (number | null)[]).length;
      if (axis !== -1 && axis !== rank - 1) {
        throw new Error(
          `bnAccumulation 'exact' handles channels-last BatchNorm only; layer '${layer.name}' has axis ${axis}`,
        );
      }
      return [layer];
    });
  return walk(model.layers);
}

export function exactAccumulatedStep(ctx: StepContext, chunks: Int32Array[]): StepResult {
  const layers = exactBatchNormLayers(ctx.model);
  if (layers.length === 0 || chunks.length < 2) return accumulatedStep(ctx, chunks);
  const state = new Map<BatchNormalization, LayerState>();
  try {
    for (const layer of layers) state.set(layer, gatherStatistics(ctx, chunks, layer, state));
    for (const layer of [...layers].reverse()) {
      const entry = state.get(layer)!;
      entry.coupling = gatherCoupling(ctx, chunks, layer, state).take(entry.count);
    }
    // On the tape: the override replaces the BatchNorm layers' calls, which a Dense chain would not make.
    return withBatchNormOverride(normalizer(state, null), () => accumulatedStep({ ...ctx, chain: null }, chunks));
  } finally {
    for (const { stats, coupling } of state.values()) {
      tf.dispose([stats.mean, stats.invStd]);
      if (coupling) tf.dispose([coupling.meanDy, coupling.meanDyXhat]);
    }
  }
}

/** Normalises every layer with its known statistics (and coupling, when known); `gather` collects for one. */
function normalizer(
  state: Map<BatchNormalization, LayerState>,
  gather: { layer: BatchNormalization; sums: ChannelSums } | null,
) {
  return (layer: BatchNormalization, x: tf.Tensor): tf.Tensor | null => {
    const entry = state.get(layer);
    if (!entry) return null;
    const { gamma, beta } = layer.parts;
    const channels = x.shape[x.rank - 1];
    return normalizeWith(
      x,
      entry.stats,
      (gamma?.read() as tf.Tensor1D | undefined) ?? tf.ones([channels]),
      (beta?.read() as tf.Tensor1D | undefined) ?? tf.zeros([channels]),
      entry.coupling,
      gather?.layer === layer ? gather.sums : null,
    );
  };
}

/** Forward passes up to `target`, earlier layers normalised with their batch statistics. */
function gatherStatistics(
  ctx: StepContext,
  chunks: Int32Array[],
  target: BatchNormalization,
  state: Map<BatchNormalization, LayerState>,
): LayerState {
  const moments = new ChannelMoments();
  const known = normalizer(state, null);
  const override = (layer: BatchNormalization, x: tf.Tensor): tf.Tensor | null => {
    if (layer !== target) return known(layer, x);
    moments.add(x);
    throw new StopForward();
  };
  for (const [index, chunk] of chunks.entries()) {
    const batch = gatherBatch(ctx.data, chunk);
    try {
      tf.tidy(() => {
        withBatchNormOverride(override, () => forward(ctx, batch, index));
      });
    } catch (error) {
      if (!(error instanceof StopForward)) throw error;
    } finally {
      releaseBatch(ctx.data, batch);
    }
  }
  const { mean, variance, count } = moments.take();
  target.updateMovingStatistics(mean, variance, count);
  const invStd = tf.tidy(() => tf.rsqrt(tf.add<tf.Tensor1D>(variance, target.parts.epsilon)));
  variance.dispose();
  return { stats: { mean, invStd }, count, coupling: null };
}

/** Backward passes that sum dy and dy x̂ at `target`, later layers already exact. */
function gatherCoupling(
  ctx: StepContext,
  chunks: Int32Array[],
  target: BatchNormalization,
  state: Map<BatchNormalization, LayerState>,
): ChannelSums {
  const sums = new ChannelSums();
  const total = chunks.reduce((n, c) => n + c.length, 0);
  withBatchNormOverride(normalizer(state, { layer: target, sums }), () => {
    for (const [index, chunk] of chunks.entries()) {
      const batch = gatherBatch(ctx.data, chunk);
      try {
        const { value, grads } = tf.variableGrads(
          () => tf.mul<tf.Scalar>(forward(ctx, batch, index).loss, chunk.length / total),
          ctx.variables,
        );
        tf.dispose([value, grads]);
      } finally {
        releaseBatch(ctx.data, batch);
      }
    }
  });
  return sums;
}
