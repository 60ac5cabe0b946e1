/**
 * One weight update: gather the batch by index from the data set's tensors (the identity batch is
 * the data set itself), forward in training mode, loss, gradient, update. With micro-batches the gradients of the chunks, each weighted by its
 * share of the batch, are summed before the single update, so the result equals the one-shot
 * gradient of the batch mean loss while only one chunk's activations exist at a time.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
import { GradientClipping, clipGradients } from './clipping';
import { lossAndCorrect } from './objective';
import { DenseChain, chainGradients } from './dense-chain';

export interface StepContext {
  model: tf.LayersModel;
  data: Dataset;
  optimizer: tf.Optimizer;
  variables: tf.Variable[];
  /** Called before the forward pass of each chunk (0 for a single step), e.g. to seed dropout. */
  beforeForward?: (chunk: number) => void;
  /** Clips the update's gradient (./clipping). Default: none. */
  clip?: GradientClipping | null;
  /** The model as a chain of Dense layers, trained without the tape (./dense-chain); null: on it. */
  chain?: DenseChain | null;
}

/** Device-side results of one update; the caller disposes them. `correct` is null for regression. */
export interface StepResult {
  loss: tf.Scalar;
  correct: tf.Scalar | null;
  /** The gradient's global norm before clipping; null without clipping. */
  gradNorm?: tf.Scalar | null;
}

export interface Forward {
  loss: tf.Scalar;
  correct: tf.Scalar | null;
}

/** The batch's samples, gathered by index, or the data set's own tensors for the identity batch. */
export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** Whether `indices` is 0, 1, ..., size - 1: every sample, in order (an unshuffled full batch). */
export function isIdentityBatch(indices: Int32Array, size: number): boolean {
  if (indices.length !== size) return false;
  for (let i = 0; i < size; i++) if (indices[i] !== i) return false;
  return true;
}

/**
 * Gathers outside the gradient tape: data needs no gradient, and on the tape the engine would also
 * keep a copy of the whole data set tensor (the saved input of the gather) at every step. The
 * identity batch is the data set itself, so it skips the gather and its copy of N samples.
 */
export function gatherBatch(data: Dataset, indices: Int32Array): Batch {
  if (isIdentityBatch(indices, data.size)) return { x: data.x, y: data.y };
  return tf.tidy(() => {
    const idx = tf.tensor1d(indices, 'int32');
    return { x: tf.gather(data.x, idx), y: tf.gather(data.y, idx) };
  });
}

export function releaseBatch(data: Dataset, batch: Batch): void {
  if (batch.x !== data.x) tf.dispose([batch.x, batch.y]);
}

/** Forward pass in training mode on one gathered batch. */
export function forward({ model, data, beforeForward }: StepContext, batch: Batch, chunk: number): Forward {
  beforeForward?.(chunk);
  const outputs = model.apply(batch.x, { training: true }) as tf.Tensor;
  return lossAndCorrect(data.task, batch.y, outputs);
}

/** A batch's loss (times `weight`, when given), correct count and weight gradients. */
interface LossAndGradients {
  value: tf.Scalar;
  correct: tf.Scalar | null;
  grads: tf.NamedTensorMap;
}

/**
 * The loss and gradients of one batch: without the tape for a chain of Dense layers (./dense-chain,
 * bit for bit the same numbers), else on it. `weight` scales the loss, hence the gradients.
 */
function lossAndGradients(ctx: StepContext, batch: Batch, chunk: number, weight: number | null): LossAndGradients {
  const { chain } = ctx;
  if (chain) {
    ctx.beforeForward?.(chunk);
    const { loss, correct, grads } = chainGradients(chain, ctx.variables, batch.x, batch.y, weight);
    return { value: loss, correct, grads };
  }
  let correct: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const f = forward(ctx, batch, chunk);
    correct = f.correct && tf.keep(f.correct);
    return weight === null ? f.loss : tf.mul(f.loss, weight);
  }, ctx.variables);
  return { value, correct, grads };
}

/** One update on a whole batch. */
export function singleStep(ctx: StepContext, indices: Int32Array): StepResult {
  const batch = gatherBatch(ctx.data, indices);
  let result: LossAndGradients;
  try {
    result = lossAndGradients(ctx, batch, 0, null);
  } finally {
    releaseBatch(ctx.data, batch);
  }
  const { value: loss, correct, grads } = result;
  // What optimizer.minimize does (variableGrads, then applyGradients), with clipping between.
  if (ctx.clip) return { loss, correct, gradNorm: applyClipped(ctx, grads, ctx.clip) };
  try {
    ctx.optimizer.applyGradients(grads);
  } finally {
    tf.dispose(grads);
  }
  return { loss, correct };
}

/** One update on a batch given as chunks: gradients accumulated over the chunks, then applied once. */
export function accumulatedStep(ctx: StepContext, chunks: Int32Array[]): StepResult {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  let grads: tf.NamedTensorMap | null = null;
  let loss: tf.Scalar = tf.scalar(0);
  let correct: tf.Scalar | null = ctx.data.task === 'classification' ? tf.scalar(0) : null;
  try {
    for (const [index, chunk] of chunks.entries()) {
      const batch = gatherBatch(ctx.data, chunk);
      let result: LossAndGradients;
      try {
        result = lossAndGradients(ctx, batch, index, chunk.length / total);
      } finally {
        releaseBatch(ctx.data, batch);
      }
      grads = grads ? addInto(grads, result.grads) : result.grads;
      loss = replace(loss, tf.add(loss, result.value));
      result.value.dispose();
      if (correct && result.correct) {
        correct = replace(correct, tf.add(correct, result.correct));
        result.correct.dispose();
      }
    }
    let gradNorm: tf.Scalar | null = null;
    if (grads && ctx.clip) {
      gradNorm = applyClipped(ctx, grads, ctx.clip);
      grads = null;
    } else if (grads) ctx.optimizer.applyGradients(grads);
    return { loss, correct, gradNorm };
  } finally {
    if (grads) tf.dispose(grads);
  }
}

/** Clips `grads` (disposed) and applies them; returns the norm before clipping. */
function applyClipped(ctx: StepContext, grads: tf.NamedTensorMap, clip: GradientClipping): tf.Scalar {
  const clipped = clipGradients(grads, clip);
  try {
    ctx.optimizer.applyGradients(clipped.grads);
  } finally {
    tf.dispose(clipped.grads);
  }
  return clipped.norm;
}

/** Sums `extra` into `sum` (both disposed), returning the new map. */
function addInto(sum: tf.NamedTensorMap, extra: tf.NamedTensorMap): tf.NamedTensorMap {
  const next: tf.NamedTensorMap = {};
  for (const name of Object.keys(sum)) next[name] = tf.add(sum[name], extra[name]);
  tf.dispose([sum, extra]);
  return next;
}

function replace<T extends tf.Tensor>(old: T, next: T): T {
  old.dispose();
  return next;
}
