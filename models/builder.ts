/**
 * What every model builder is: a seeded recipe that knows its layers and can describe itself in one
 * line for experiment logs. Owns the shared pieces (seeded initialisers, the dense/conv + BatchNorm
 * + activation block); each builder file owns only its own architecture.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../src/util/random';
import { batchNormalization } from './batch-norm-layer';
import { dense } from './dense-layer';
import { BatchRenorm, BatchRenormOptions, describeBatchRenorm, resolveBatchRenorm } from './batch-renorm';

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'linear';
export type BnPosition = 'before' | 'after';
/** Whose BatchNorm definitions apply: tfjs-layers' and Keras', or PyTorch's. */
export type BnConvention = 'keras' | 'pytorch';
export const BN_CONVENTIONS: readonly BnConvention[] = ['keras', 'pytorch'];

export interface ModelShape {
  /** Shape of one sample, e.g. [28, 28, 1] or [784]. */
  inputShape: number[];
  /** Output units: classes for classification (the model outputs logits), 1 for regression. */
  outputs: number;
}

export interface ModelBuilder {
  /** Builder name: `mlp`, `cnn`, `logistic`. */
  readonly name: string;
  readonly batchNorm: boolean;
  /** One line for logs, e.g. `mlp [256,128] relu, BN before activation (keras convention: momentum 0.9, epsilon 0.001)`. */
  describe(): string;
  /** A fresh model; the same seed gives the same initial weights. */
  build(shape: ModelShape, seed: number): tf.LayersModel;
}

export interface BatchNormOptions {
  /** Insert BatchNormalization after each hidden layer. Default: false. */
  batchNorm?: boolean;
  /** BN before the activation (as in the original paper) or after it. Default: 'before'. */
  bnPosition?: BnPosition;
  /**
   * 'keras': momentum weighs the old moving value, epsilon 0.001, the moving variance follows the
   * biased batch variance (divided by n), as tfjs-layers and Keras do. 'pytorch': momentum weighs
   * the new batch value, epsilon 1e-5, the moving variance follows the unbiased batch variance
   * (divided by n - 1), as torch.nn.BatchNorm1d/2d do. Training steps normalise with the biased
   * variance in both. Default: 'keras'.
   */
  bnConvention?: BnConvention;
  /**
   * Moving-average momentum, in the convention's meaning. keras: moving = momentum * moving +
   * (1 - momentum) * batch, default 0.9 (not tfjs' 0.99, so short runs have settled statistics),
   * in [0, 1). pytorch: moving = (1 - momentum) * moving + momentum * batch, default 0.1, in (0, 1].
   */
  momentum?: number;
  /** Added to the variance before the square root. Default: 0.001 (keras), 1e-5 (pytorch). */
  epsilon?: number;
  /**
   * Ghost BatchNorm (Hoffer et al. 2017): normalise each training batch in groups of this many
   * samples, each with its own statistics; the moving statistics move once per group. `train`
   * refuses a batch this does not divide unless allowShortGhostBatch. Default: none (the whole batch).
   */
  ghostBatch?: number;
  /**
   * Batch renormalization (Ioffe 2017): true for the paper's schedule, or its options (rMax, dMax,
   * relaxFrom, rMaxAt, dMaxAt; see models/batch-renorm.ts). Excludes ghostBatch. Default: false.
   */
  batchRenorm?: boolean | BatchRenormOptions;
}

/** BatchNorm options with every default applied; the variants null when not used. */
export interface ResolvedBatchNorm extends Required<Omit<BatchNormOptions, 'ghostBatch' | 'batchRenorm'>> {
  ghostBatch: number | null;
  batchRenorm: BatchRenorm | null;
}

/** Seeded Glorot initialiser for the `index`-th weighted layer, so BN on/off share initial weights. */
export function seededKernel(seed: number, index: number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: deriveSeed(seed, index) });
}

export interface BlockOptions extends ResolvedBatchNorm {
  activation: Activation;
}

/**
 * Appends `layer -> [BN] -> activation` (or `layer -> activation -> [BN]`) to `x`. `makeLayer`
 * receives whether it may use a bias: a bias directly followed by BN is redundant (BN subtracts the
 * mean and adds its own beta), so it is dropped there.
 */
export function withBatchNorm(
  x: tf.SymbolicTensor,
  makeLayer: (useBias: boolean) => tf.layers.Layer,
  options: BlockOptions,
): tf.SymbolicTensor {
  const bn = (): tf.layers.Layer =>
    batchNormalization({
      momentum: layerMomentum(options),
      epsilon: options.epsilon,
      unbiasedMovingVariance: options.bnConvention === 'pytorch',
      ghostBatch: options.ghostBatch ?? undefined,
      batchRenorm: options.batchRenorm ?? undefined,
    });
  const act = (): tf.layers.Layer => tf.layers.activation({ activation: options.activation });
  if (!options.batchNorm) return act().apply(makeLayer(true).apply(x)) as tf.SymbolicTensor;
  if (options.bnPosition === 'before') {
    return act().apply(bn().apply(makeLayer(false).apply(x))) as tf.SymbolicTensor;
  }
  return bn().apply(act().apply(makeLayer(true).apply(x))) as tf.SymbolicTensor;
}

const CONVENTION_DEFAULTS: Record<BnConvention, { momentum: number; epsilon: number }> = {
  keras: { momentum: 0.9, epsilon: 1e-3 },
  pytorch: { momentum: 0.1, epsilon: 1e-5 },
};

export function resolveBatchNorm(options: BatchNormOptions): ResolvedBatchNorm {
  const bnConvention = options.bnConvention ?? 'keras';
  if (!BN_CONVENTIONS.includes(bnConvention)) {
    throw new Error(`bnConvention must be 'keras' or 'pytorch', got ${String(bnConvention)}`);
  }
  const defaults = CONVENTION_DEFAULTS[bnConvention];
  const resolved = {
    batchNorm: options.batchNorm ?? false,
    bnPosition: options.bnPosition ?? 'before',
    bnConvention,
    momentum: options.momentum ?? defaults.momentum,
    epsilon: options.epsilon ?? defaults.epsilon,
    ...resolveVariant(options),
  };
  const momentumOk =
    bnConvention === 'keras'
      ? resolved.momentum >= 0 && resolved.momentum < 1
      : resolved.momentum > 0 && resolved.momentum <= 1;
  if (!momentumOk) {
    const range = bnConvention === 'keras' ? '[0, 1)' : '(0, 1]';
    throw new Error(`momentum must be in ${range} with the ${bnConvention} convention, got ${resolved.momentum}`);
  }
  if (!(resolved.epsilon > 0)) throw new Error(`epsilon must be > 0, got ${resolved.epsilon}`);
  if (resolved.bnPosition !== 'before' && resolved.bnPosition !== 'after') {
    throw new Error(`bnPosition must be 'before' or 'after', got ${String(resolved.bnPosition)}`);
  }
  return resolved;
}

/** ghostBatch and batchRenorm checked: each needs batchNorm, and they exclude each other. */
function resolveVariant(options: BatchNormOptions): Pick<ResolvedBatchNorm, 'ghostBatch' | 'batchRenorm'> {
  const { ghostBatch, batchRenorm = false } = options;
  if (ghostBatch !== undefined && (!Number.isInteger(ghostBatch) || ghostBatch < 1)) {
    throw new Error(`ghostBatch must be a positive integer, got ${ghostBatch}`);
  }
  const renorm = batchRenorm === false ? null : resolveBatchRenorm(batchRenorm === true ? {} : batchRenorm);
  if (ghostBatch !== undefined && renorm) {
    throw new Error('ghostBatch and batchRenorm exclude each other: choose one BatchNorm variant');
  }
  if ((ghostBatch !== undefined || renorm) && !options.batchNorm) {
    throw new Error(`${ghostBatch !== undefined ? 'ghostBatch' : 'batchRenorm'} needs batchNorm: true`);
  }
  return { ghostBatch: ghostBatch ?? null, batchRenorm: renorm };
}

/** The momentum as tfjs-layers' layer takes it (the weight of the old moving value). */
export function layerMomentum(bn: Pick<Required<BatchNormOptions>, 'bnConvention' | 'momentum'>): number {
  return bn.bnConvention === 'pytorch' ? 1 - bn.momentum : bn.momentum;
}

export function describeBatchNorm(bn: ResolvedBatchNorm): string {
  if (!bn.batchNorm) return 'no BN';
  const unbiased = bn.bnConvention === 'pytorch' ? ', unbiased moving variance' : '';
  const variant =
    bn.ghostBatch !== null
      ? `ghost BN (groups of ${bn.ghostBatch})`
      : bn.batchRenorm
        ? `batch renorm (${describeBatchRenorm(bn.batchRenorm)})`
        : 'BN';
  return `${variant} ${bn.bnPosition} activation (${bn.bnConvention} convention: momentum ${bn.momentum}, epsilon ${bn.epsilon}${unbiased})`;
}

/** Final dense layer producing logits (classification) or the prediction (regression). */
export function outputLayer(x: tf.SymbolicTensor, outputs: number, seed: number, index: number): tf.SymbolicTensor {
  return dense({ units: outputs, kernelInitializer: seededKernel(seed, index), name: 'output' }).apply(
    x,
  ) as tf.SymbolicTensor;
}

/** Flattens image-shaped input for dense layers; rank-1 input passes through. */
export function flattenIfNeeded(x: tf.SymbolicTensor): tf.SymbolicTensor {
  return x.shape.length > 2 ? (tf.layers.flatten().apply(x) as tf.SymbolicTensor) : x;
}
