/**
 * The fused classification objective (contract in src/ops/softmax-cross-entropy.ts) for wasm and
 * cpu, in TypeScript: the operands are [rows, classes] logits, a few thousand values, so the cost that
 * matters is the ops it replaces, not the arithmetic. Sums run in float64.
 */
import * as tf from '@tensorflow/tfjs';
import {
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
  checkSoftmaxCrossEntropyShapes,
} from '../../ops/softmax-cross-entropy';
import { KernelCall, PortableKernel, asKernelFunc, requireFloat32 } from '../kernel-call';

type Inputs = { labels: tf.TensorInfo; logits: tf.TensorInfo };
type GradInputs = Inputs & { dy: tf.TensorInfo };

function checkInputs(kernel: string, inputs: Record<string, tf.TensorInfo>): void {
  requireFloat32(kernel, inputs);
  checkSoftmaxCrossEntropyShapes(kernel, inputs.labels, inputs.logits);
}

/** Index of the first maximum of row r (NaN never wins, as in tfjs' ArgMax on finite data). */
function argMax(values: Float32Array, r: number, classes: number): number {
  let best = r * classes;
  for (let j = best + 1; j < (r + 1) * classes; j++) if (values[j] > values[best]) best = j;
  return best - r * classes;
}

/** log(sum(exp(row))) with the row's maximum subtracted first, as tf.logSoftmax does. */
function logSumExp(logits: Float32Array, r: number, classes: number): number {
  let max = -Infinity;
  for (let j = r * classes; j < (r + 1) * classes; j++) max = Math.max(max, logits[j]);
  let sum = 0;
  for (let j = r * classes; j < (r + 1) * classes; j++) sum += Math.exp(logits[j] - max);
  return max + Math.log(sum);
}

function forward({ inputs, backend }: KernelCall<Inputs>): tf.TensorInfo[] {
  checkInputs(SOFTMAX_CROSS_ENTROPY, inputs);
  const [rows, classes] = inputs.logits.shape;
  const outputs = [backend.makeOutput([], 'float32'), backend.makeOutput([], 'float32')];
  const view = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info) as Float32Array;
  const [labels, logits] = [view(inputs.labels), view(inputs.logits)];
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const lse = logSumExp(logits, r, classes);
    for (let j = r * classes; j < (r + 1) * classes; j++) loss -= labels[j] * (logits[j] - lse);
    if (argMax(logits, r, classes) === argMax(labels, r, classes)) correct++;
  }
  view(outputs[0])[0] = rows > 0 ? loss / rows : NaN;
  view(outputs[1])[0] = correct;
  return outputs;
}

function backward({ inputs, backend }: KernelCall<GradInputs>): tf.TensorInfo {
  checkInputs(SOFTMAX_CROSS_ENTROPY_GRAD, inputs);
  const [rows, classes] = inputs.logits.shape;
  const out = backend.makeOutput([rows, classes], 'float32');
  const view = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info) as Float32Array;
  const [labels, logits, dLogits] = [view(inputs.labels), view(inputs.logits), view(out)];
  const scale = view(inputs.dy)[0] / rows;
  for (let r = 0; r < rows; r++) {
    const lse = logSumExp(logits, r, classes);
    for (let j = r * classes; j < (r + 1) * classes; j++) dLogits[j] = scale * (Math.exp(logits[j] - lse) - labels[j]);
  }
  return out;
}

export const softmaxCrossEntropyKernels: readonly PortableKernel[] = [
  { kernelName: SOFTMAX_CROSS_ENTROPY, kernelFunc: asKernelFunc(forward) },
  { kernelName: SOFTMAX_CROSS_ENTROPY_GRAD, kernelFunc: asKernelFunc(backward) },
];
