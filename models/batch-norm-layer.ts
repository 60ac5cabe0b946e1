/**
 * tfjs-layers' BatchNormalization, with its training-mode call routed through the fused kernels of
 * src/ops/batch-norm-training.ts when the active backend has them (wasm, cpu or webgpu, with batchlab's
 * kernel packs). The maths, the moving-average update, the weights and the saved form are the stock
 * layer's: the class keeps the name 'BatchNormalization', so a saved model loads in plain tfjs.
 *
 * One addition: `unbiasedMovingVariance` (PyTorch's convention) feeds the moving average with the
 * batch variance times n / (n - 1), n the values per channel in the batch; the step itself still
 * normalises with the biased variance. Both paths apply that factor here, between the batch
 * statistics and the moving-average update, so the kernels keep one contract. The flag is not in
 * the saved config (stock tfjs would not know it): inference is the same either way, but a reloaded
 * model trains on with the biased update unless rebuilt with the flag.
 *
 * Inference, and the biased update on a backend without the kernels, other axes or a layer without
 * gamma or beta, take the stock path.
 *
 * Two variants change the training call only, in stock tfjs ops (the fused kernels normalise over
 * the whole batch with the batch's own statistics, which neither does): `ghostBatch`
 * (./ghost-batch-norm.ts) and `batchRenorm` (./batch-renorm.ts). Like the unbiased flag, neither is
 * in the saved config: inference is plain BN with the moving statistics either way.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, hasFusedBatchNormTraining, movingAverages } from '../src/ops/batch-norm-training';
import { BatchRenorm, batchRenormalize, renormLimits } from './batch-renorm';
import { ghostBatchNorm, ghostMovingAverages } from './ghost-batch-norm';

type BatchNormArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;

export interface BatchlabBatchNormArgs extends BatchNormArgs {
  /** Update the moving variance from the unbiased batch variance (divided by n - 1). Default: false. */
  unbiasedMovingVariance?: boolean;
  /** Normalise training batches in groups of this many samples (ghost BN). Default: none. */
  ghostBatch?: number;
  /** Batch renormalization with this schedule (resolved, see ./batch-renorm.ts). Default: none. */
  batchRenorm?: BatchRenorm;
}

/** The stock layer's fields this class reads (they are not in tfjs' public types). */
interface StockFields {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

interface BatchStatistics {
  y: tf.Tensor;
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/** tfjs exports a factory, not the class; its instances' constructor is the class. */
const StockBatchNormalization = tf.layers.batchNormalization({}).constructor as new (
  args: BatchNormArgs,
) => tf.layers.Layer;

export class BatchNormalization extends StockBatchNormalization {
  readonly unbiasedMovingVariance: boolean;
  readonly ghostBatch: number | null;
  readonly batchRenorm: BatchRenorm | null;
  /** Updates made before the current one: where batch renorm's schedule stands (set by the trainer). */
  renormStep = 0;

  constructor(args: BatchlabBatchNormArgs) {
    const { unbiasedMovingVariance = false, ghostBatch, batchRenorm, ...stockArgs } = args;
    super(stockArgs);
    if (ghostBatch !== undefined && (!Number.isInteger(ghostBatch) || ghostBatch < 1)) {
      throw new Error(`ghostBatch must be a positive integer, got ${ghostBatch}`);
    }
    if (ghostBatch !== undefined && batchRenorm !== undefined) {
      throw new Error('ghostBatch and batchRenorm exclude each other: choose one BatchNorm variant');
    }
    this.unbiasedMovingVariance = unbiasedMovingVariance;
    this.ghostBatch = ghostBatch ?? null;
    this.batchRenorm = batchRenorm ?? null;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const layer = this as unknown as StockFields;
    if (kwargs.training !== true) return super.call(inputs, kwargs);
    const overridden = callOverride?.(this, x);
    if (overridden) return overridden;
    const axis = this.channelAxis(x.rank);
    if (this.ghostBatch !== null || this.batchRenorm !== null) return tf.tidy(() => this.variantCall(x, layer, axis));
    const fused = this.fusedApplies(x.rank, axis, x.dtype);
    if (!fused && !this.unbiasedMovingVariance) return super.call(inputs, kwargs);
    return tf.tidy(() => this.normalizeInTraining(x, axis, fused).y);
  }

  /**
   * Whether a training call on a float32 input of rank `rank` takes the plain fused path: no ghost
   * BN or batch renorm, channels last, gamma and beta, a backend with the fused kernels.
   */
  takesFusedPath(rank: number): boolean {
    const plain = this.ghostBatch === null && this.batchRenorm === null;
    return plain && this.fusedApplies(rank, this.channelAxis(rank), 'float32');
  }

  /** The axis normalised over, for an input of rank `rank` (the layer's axis may count from the end). */
  private channelAxis(rank: number): number {
    const { axis } = this as unknown as StockFields;
    return axis < 0 ? axis + rank : axis;
  }

  /**
   * What a plain training call computes on `x` normalised over `axis`: the normalised output and
   * the batch's statistics (through the fused kernel where `fused`, else tfjs' ops), with the moving
   * statistics moved towards them. The Dense chain (src/training/chain-batch-norm.ts) calls it too.
   */
  normalizeInTraining(x: tf.Tensor, axis: number, fused: boolean): BatchStatistics {
    const layer = this as unknown as StockFields;
    const batch = fused ? fusedStatistics(x, layer) : composedStatistics(x, layer, axis);
    this.updateMovingStatistics(
      batch.mean,
      batch.variance,
      x.size / x.shape[axis],
      `input of shape [${x.shape.join(', ')}]`,
    );
    return batch;
  }

  /** The layer's parts the exact accumulated step works with. */
  get parts(): BatchNormParts {
    const layer = this as unknown as StockFields;
    return { axis: layer.axis, epsilon: layer.epsilon, gamma: layer.gamma, beta: layer.beta };
  }

  /**
   * Moves the moving mean and variance towards a batch's (biased) statistics, `count` values per
   * channel, as a training call does: through the fused kernel where it applies, else op for op as
   * the stock layer, with the unbiased correction first under the pytorch convention.
   */
  updateMovingStatistics(mean: tf.Tensor, biasedVariance: tf.Tensor, count: number, from = `${count} values`): void {
    const layer = this as unknown as StockFields;
    tf.tidy(() => {
      const variance = this.unbiasedMovingVariance ? tf.mul(biasedVariance, besselFactor(count, from)) : biasedVariance;
      const moving = { mean: layer.movingMean.read(), variance: layer.movingVariance.read() };
      const [movingMean, movingVariance] = this.fusedApplies(mean.rank, 0, mean.dtype)
        ? movingAverages(moving, { mean, variance }, layer.momentum)
        : [
            stockMovingAverage(moving.mean, mean, layer.momentum),
            stockMovingAverage(moving.variance, variance, layer.momentum),
          ];
      layer.movingMean.write(movingMean);
      layer.movingVariance.write(movingVariance);
    });
  }

  /** Ghost BN or batch renorm: the normalised output, with the moving statistics updated. */
  private variantCall(x: tf.Tensor, layer: StockFields, axis: number): tf.Tensor {
    if (axis === 0) throw new Error('ghostBatch and batchRenorm need a channel axis other than the batch axis (0)');
    const params = {
      gamma: layer.gamma?.read() ?? null,
      beta: layer.beta?.read() ?? null,
      epsilon: layer.epsilon,
      axis,
    };
    const moving = { mean: layer.movingMean.read(), variance: layer.movingVariance.read() };
    let y: tf.Tensor;
    let updated: [tf.Tensor, tf.Tensor];
    if (this.ghostBatch !== null) {
      const groups = ghostBatchNorm(x, params, this.ghostBatch);
      const perSample = x.size / x.shape[0] / x.shape[axis];
      const factor = (size: number): number => (this.unbiasedMovingVariance ? bessel(size * perSample, x.shape) : 1);
      updated = ghostMovingAverages(moving, groups, layer.momentum, factor);
      y = groups.y;
    } else {
      const limits = renormLimits(this.renormStep, this.batchRenorm as BatchRenorm);
      const batch = batchRenormalize(x, {
        ...params,
        movingMean: moving.mean,
        movingVariance: moving.variance,
        limits,
      });
      const variance = this.unbiasedMovingVariance ? tf.mul(batch.variance, besselFactorOf(x, axis)) : batch.variance;
      updated = [
        stockMovingAverage(moving.mean, batch.mean, layer.momentum),
        stockMovingAverage(moving.variance, variance, layer.momentum),
      ];
      y = batch.y;
    }
    layer.movingMean.write(updated[0]);
    layer.movingVariance.write(updated[1]);
    return y;
  }

  /** Whether the fused kernels handle this layer for an input of `rank` and `dtype` normalised over `axis` (channels last only). */
  private fusedApplies(rank: number, axis: number, dtype: tf.DataType): boolean {
    const layer = this as unknown as StockFields;
    return (
      axis === rank - 1 &&
      // tfjs-layers leaves gamma or beta undefined (not null) with scale or center off.
      layer.gamma != null &&
      layer.beta != null &&
      dtype === 'float32' &&
      hasFusedBatchNormTraining()
    );
  }
}

/** The parts of a BN layer that normalising with given statistics needs. */
export interface BatchNormParts {
  axis: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
}

/**
 * Replaces batchlab BN layers' training-mode call while `run` runs; an override returning null
 * leaves the call to the layer. The exact accumulated step (src/training/exact-batch-norm.ts) uses
 * it to normalise each chunk with the whole batch's statistics.
 */
export type BatchNormCallOverride = (layer: BatchNormalization, x: tf.Tensor) => tf.Tensor | null;

let callOverride: BatchNormCallOverride | null = null;

export function withBatchNormOverride<T>(override: BatchNormCallOverride, run: () => T): T {
  const previous = callOverride;
  callOverride = override;
  try {
    return run();
  } finally {
    callOverride = previous;
  }
}

export function isBatchlabBatchNorm(layer: unknown): layer is BatchNormalization {
  return layer instanceof BatchNormalization;
}

/** The ghost batch size of a batchlab BatchNormalization layer, or null (plain BN, or another layer). */
export function ghostBatchOf(layer: tf.layers.Layer): number | null {
  return layer instanceof BatchNormalization ? layer.ghostBatch : null;
}

/**
 * Sets where batch renorm's schedule stands (updates made so far) in every renorm layer of the
 * model, nested models included. `train` calls it before each update; a loop of your own should too.
 */
export function setBatchRenormStep(model: tf.LayersModel, step: number): void {
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) setBatchRenormStep(layer, step);
    else if (layer instanceof BatchNormalization && layer.batchRenorm !== null) layer.renormStep = step;
  }
}

function fusedStatistics(x: tf.Tensor, layer: StockFields): BatchStatistics {
  return batchNormTraining(x, layer.gamma!.read() as tf.Tensor1D, layer.beta!.read() as tf.Tensor1D, layer.epsilon);
}

/** The stock layer's training maths (moments, then batchNorm), mean and variance as [C]. */
function composedStatistics(x: tf.Tensor, layer: StockFields, axis: number): BatchStatistics {
  const reductionAxes = x.shape.map((_, i) => i).filter((i) => i !== axis);
  const broadcast = x.shape.map((size, i) => (i === axis ? size : 1));
  const { mean, variance } = tf.moments(x, reductionAxes);
  // As the stock layer: [C] operands on the last axis (tfjs' batchNorm gradient wants them so),
  // reshaped to broadcast on any other.
  const shaped = (t: tf.Tensor): tf.Tensor => (axis === x.rank - 1 ? t : tf.reshape(t, broadcast));
  const y = tf.batchNorm(
    x,
    shaped(mean),
    shaped(variance),
    layer.beta ? shaped(layer.beta.read()) : undefined,
    layer.gamma ? shaped(layer.gamma.read()) : undefined,
    layer.epsilon,
  );
  return { y, mean, variance };
}

/** n / (n - 1), n the values per channel; PyTorch refuses n = 1, where the ratio is undefined. */
function besselFactor(n: number, from: string): number {
  if (n < 2) {
    throw new Error(
      `BatchNorm with an unbiased moving variance (the pytorch convention) needs more than one value per ` +
        `channel in training, got ${from}`,
    );
  }
  return n / (n - 1);
}

function besselFactorOf(x: tf.Tensor, axis: number): number {
  return besselFactor(x.size / x.shape[axis], `input of shape [${x.shape.join(', ')}]`);
}

function bessel(n: number, shape: number[]): number {
  return besselFactor(n, `input of shape [${shape.join(', ')}]`);
}

/** moving - (moving - batch) * (1 - momentum), op for op as the stock layer updates it. */
function stockMovingAverage(moving: tf.Tensor, batch: tf.Tensor, momentum: number): tf.Tensor {
  return tf.sub(moving, tf.mul(tf.sub(moving, batch), 1 - momentum));
}

/** A BatchNormalization layer, as tf.layers.batchNormalization(args), with the fused training path. */
export function batchNormalization(args: BatchlabBatchNormArgs = {}): tf.layers.Layer {
  return new BatchNormalization(args);
}
