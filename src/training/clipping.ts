/**
 * Gradient clipping of one update's gradient, after any accumulation over micro-batches and before
 * the optimizer sees it. clipNorm scales every weight's gradient by clipNorm / max(norm, clipNorm),
 * the norm taken over all weights together (TensorFlow's clip_by_global_norm, PyTorch's
 * clip_grad_norm_); clipValue then limits each element to [-clipValue, clipValue]. The global norm
 * before clipping is returned for the history.
 */
import * as tf from '@tensorflow/tfjs';

export interface GradientClipping {
  /** Largest global norm of the update's gradient (over all weights). Default: none. */
  clipNorm?: number;
  /** Largest absolute value of any element of the update's gradient. Default: none. */
  clipValue?: number;
}

/** Checks the options, naming the one that is wrong; null when neither is set. */
export function resolveClipping(options: GradientClipping): GradientClipping | null {
  const { clipNorm, clipValue } = options;
  for (const [name, value] of [
    ['clipNorm', clipNorm],
    ['clipValue', clipValue],
  ] as const) {
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value)))
      throw new Error(`${name} must be a positive number, got ${String(value)}`);
  }
  return clipNorm === undefined && clipValue === undefined ? null : { clipNorm, clipValue };
}

/** sqrt of the sum of every element's square over all the gradients. */
export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum<tf.Scalar>(tf.square(g))))));
}

/**
 * The clipped gradients and the global norm before clipping. Takes ownership of `grads` (disposed);
 * the caller disposes what it returns. A norm within clipNorm scales by exactly 1.
 */
export function clipGradients(
  grads: tf.NamedTensorMap,
  clip: GradientClipping,
): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  try {
    return tf.tidy(() => {
      const norm = globalNorm(grads);
      const scale = clip.clipNorm === undefined ? null : tf.div(clip.clipNorm, tf.maximum(norm, clip.clipNorm));
      const clipped: tf.NamedTensorMap = {};
      for (const [name, g] of Object.entries(grads)) {
        const scaled = scale ? tf.mul(g, scale) : g;
        if (clip.clipValue !== undefined) clipped[name] = tf.clipByValue(scaled, -clip.clipValue, clip.clipValue);
        else clipped[name] = scaled === g ? tf.clone(g) : scaled;
      }
      return { grads: clipped, norm };
    });
  } finally {
    tf.dispose(grads);
  }
}
