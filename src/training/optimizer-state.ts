/**
 * An optimizer's state as stored tensors, and its restoration: tfjs' getWeights / setWeights (the
 * update count first, then the moment or momentum slots in the order of the weights they belong
 * to), plus Adam's beta powers. tfjs' Adam setWeights recomputes those as pow(beta, t + 1), which
 * is not bit for bit the product of t multiplications the updates made, so they are stored and put
 * back as they were. The update count is what subnormal flushing counts (./flush-denormals).
 */
import * as tf from '@tensorflow/tfjs';
import type { StoredTensor } from '../io/checkpoint-files';
import type { AdamInternals } from './fused-adam';

const SLOT = 'optimizer/';
const BETA_POWERS = ['adam/accBeta1', 'adam/accBeta2'] as const;

/**
 * Fails now, naming the optimizer, when its state cannot be read (tfjs' Adamax has no getWeights),
 * rather than at the first checkpoint.
 */
export async function checkOptimizerStateReadable(optimizer: tf.Optimizer): Promise<void> {
  try {
    releaseCopies(await optimizer.getWeights());
  } catch (error) {
    throw new Error(
      `checkpoint: the ${optimizer.getClassName()} optimizer's state cannot be saved: ${(error as Error).message}`,
    );
  }
}

export async function readOptimizerState(optimizer: tf.Optimizer): Promise<StoredTensor[]> {
  const named = await optimizer.getWeights();
  try {
    const entries = named.map(({ tensor }, i) => ({ name: `${SLOT}${i}`, tensor }));
    if (isAdam(optimizer)) {
      const adam = optimizer as unknown as AdamInternals;
      entries.push({ name: BETA_POWERS[0], tensor: adam.accBeta1 }, { name: BETA_POWERS[1], tensor: adam.accBeta2 });
    }
    return await Promise.all(
      entries.map(async ({ name, tensor }) => ({ name, shape: tensor.shape, values: await values(tensor) })),
    );
  } finally {
    releaseCopies(named);
  }
}

/** Puts `stored` back into `optimizer`, which must not have made an update yet. */
export async function restoreOptimizerState(optimizer: tf.Optimizer, stored: StoredTensor[]): Promise<void> {
  if (optimizer.iterations !== 0) {
    throw new Error(
      `resume: the optimizer passed in has already made ${optimizer.iterations} updates; pass a fresh one to resume a run`,
    );
  }
  const slots = stored.filter((t) => t.name.startsWith(SLOT));
  const named = slots.map((t, i) => ({ name: `slot${i}`, tensor: tf.tensor(t.values, t.shape) }));
  try {
    await optimizer.setWeights(named);
    if (isAdam(optimizer)) {
      const adam = optimizer as unknown as AdamInternals;
      const [beta1, beta2] = BETA_POWERS.map((name) => stored.find((t) => t.name === name));
      if (!beta1 || !beta2) throw new Error('resume: the checkpoint lacks the Adam optimizer beta powers');
      tf.tidy(() => {
        adam.accBeta1.assign(tf.scalar(beta1.values[0]));
        adam.accBeta2.assign(tf.scalar(beta2.values[0]));
      });
    }
  } finally {
    // setWeights' slot variables share these tensors' data and hold their own reference to it.
    tf.dispose(named.map((n) => n.tensor));
  }
}

/** tfjs' Adam or a subclass. Not `instanceof`: tfjs' optimizers answer it for any optimizer. */
function isAdam(optimizer: tf.Optimizer): boolean {
  return optimizer.getClassName() === tf.AdamOptimizer.className;
}

async function values(tensor: tf.Tensor): Promise<Float32Array | Int32Array> {
  const data = await tensor.data();
  return data instanceof Int32Array ? Int32Array.from(data) : Float32Array.from(data as Float32Array);
}

/** getWeights returns the slot variables themselves and fresh tensors (the update count): the latter are released. */
function releaseCopies(named: { tensor: tf.Tensor }[]): void {
  tf.dispose(named.map((n) => n.tensor).filter((t) => !(t instanceof tf.Variable)));
}
