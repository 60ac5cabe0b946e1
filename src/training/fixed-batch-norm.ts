/**
 * BatchNorm with statistics given from outside, and the pieces that gather them over chunks: what
 * the exact accumulated step (./exact-batch-norm.ts) needs to normalise each chunk of a batch as if
 * the whole batch had gone through at once.
 *
 * For one channel of a batch with n values, x̂ = (x - mean) / sqrt(variance + epsilon) and
 * y = gamma x̂ + beta, the loss's gradient is
 *   dx = gamma / sqrt(variance + epsilon) * (dy - mean(dy) - x̂ * mean(dy x̂)),
 * the two means taken over the whole batch: they are what couples a chunk's samples to the others.
 * `normalizeWith` takes the batch's statistics and, once known, those two means (`Coupling`); until
 * then it can gather the sums they come from (`ChannelSums`) while the backward pass runs.
 */
import * as tf from '@tensorflow/tfjs';

/** A batch's statistics per channel, as the normalisation uses them. */
export interface FixedStatistics {
  mean: tf.Tensor1D;
  /** 1 / sqrt(variance + epsilon). */
  invStd: tf.Tensor1D;
}

/** The whole batch's mean(dy) and mean(dy x̂) per channel. */
export interface Coupling {
  meanDy: tf.Tensor1D;
  meanDyXhat: tf.Tensor1D;
}

/** Axes a channels-last BN reduces over: every axis but the last. */
function leadingAxes(x: tf.Tensor): number[] {
  return x.shape.slice(0, -1).map((_, i) => i);
}

/** Replaces a kept tensor with another, kept past any enclosing tidy. */
function swap<T extends tf.Tensor>(old: T | null, next: T): T {
  old?.dispose();
  return tf.keep(next);
}

/**
 * Per-channel mean and sum of squared deviations of values seen in chunks, combined as Chan et al.
 * (1979) do, so the result is the whole batch's (biased) variance to float rounding.
 */
export class ChannelMoments {
  private count = 0;
  private mean: tf.Tensor1D | null = null;
  private squares: tf.Tensor1D | null = null;

  add(x: tf.Tensor): void {
    const n = x.size / x.shape[x.rank - 1];
    const [mean, squares] = tf.tidy(() => {
      const chunk = tf.moments(x, leadingAxes(x));
      const chunkSquares = tf.mul<tf.Tensor1D>(chunk.variance, n);
      if (!this.mean || !this.squares) return [chunk.mean as tf.Tensor1D, chunkSquares];
      const total = this.count + n;
      const delta = tf.sub(chunk.mean, this.mean);
      return [
        tf.add<tf.Tensor1D>(this.mean, tf.mul(delta, n / total)),
        tf.add<tf.Tensor1D>(tf.add(this.squares, chunkSquares), tf.mul(tf.square(delta), (this.count * n) / total)),
      ];
    });
    this.mean = swap(this.mean, mean);
    this.squares = swap(this.squares, squares);
    this.count += n;
  }

  /** Mean, biased variance and values per channel; the caller owns the tensors. */
  take(): { mean: tf.Tensor1D; variance: tf.Tensor1D; count: number } {
    if (!this.mean || !this.squares) throw new Error('ChannelMoments: no values were added');
    const variance = tf.tidy(() => tf.div<tf.Tensor1D>(this.squares!, this.count));
    this.squares.dispose();
    const mean = this.mean;
    this.mean = this.squares = null;
    return { mean, variance, count: this.count };
  }
}

/** Per-channel sums of dy and dy x̂ over the chunks' backward passes. */
export class ChannelSums {
  private dy: tf.Tensor1D | null = null;
  private dyXhat: tf.Tensor1D | null = null;

  add(dy: tf.Tensor1D, dyXhat: tf.Tensor1D): void {
    this.dy = swap(this.dy, this.dy ? tf.add(this.dy, dy) : tf.clone(dy));
    this.dyXhat = swap(this.dyXhat, this.dyXhat ? tf.add(this.dyXhat, dyXhat) : tf.clone(dyXhat));
  }

  /** The means over `count` values per channel; releases the sums. */
  take(count: number): Coupling {
    if (!this.dy || !this.dyXhat) throw new Error('ChannelSums: no gradient reached the layer');
    const coupling = tf.tidy(() => ({
      meanDy: tf.div<tf.Tensor1D>(this.dy!, count),
      meanDyXhat: tf.div<tf.Tensor1D>(this.dyXhat!, count),
    }));
    tf.dispose([this.dy, this.dyXhat]);
    this.dy = this.dyXhat = null;
    return coupling;
  }
}

/**
 * gamma * (x - mean) * invStd + beta for channels-last `x`, differentiable in x, gamma and beta.
 * The gradient to x subtracts `coupling`'s batch means when given (the exact gradient), or leaves
 * them out (the gradient with the statistics held fixed); `gather` receives the chunk's sums of dy
 * and dy x̂.
 */
export function normalizeWith(
  x: tf.Tensor,
  stats: FixedStatistics,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  coupling: Coupling | null,
  gather: ChannelSums | null,
): tf.Tensor {
  const op = tf.customGrad((...args) => {
    const [input, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const xhat = tf.mul(tf.sub(input, stats.mean), stats.invStd);
    save([xhat, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedXhat, savedGamma] = saved;
        const axes = leadingAxes(dy);
        const dBeta = tf.sum<tf.Tensor1D>(dy, axes);
        const dGamma = tf.sum<tf.Tensor1D>(tf.mul(dy, savedXhat), axes);
        gather?.add(dBeta, dGamma);
        const coupled = coupling ? tf.sub(tf.sub(dy, coupling.meanDy), tf.mul(savedXhat, coupling.meanDyXhat)) : dy;
        return [tf.mul(coupled, tf.mul(savedGamma, stats.invStd)), dGamma, dBeta];
      },
    };
  });
  return op(x, gamma, beta);
}
