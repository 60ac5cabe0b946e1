/**
 * The fused classification objective (contract in src/ops/softmax-cross-entropy.ts) for tfjs'
 * WebGPU backend, where tf.losses.softmaxCrossEntropy and the accuracy count cost about twenty
 * dispatches and the gradient eight more. Forward: two threads per row compute its loss and
 * whether its arg-max is right, then the rows are added as two channels (./channel-sums), 4
 * dispatches; backward: one element-wise pass, after a pass for each row's log-sum-exp where
 * rows are long.
 */
import * as tf from '@tensorflow/tfjs';
import {
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
  checkSoftmaxCrossEntropyShapes,
} from '../../ops/softmax-cross-entropy';
import { PortableKernel, asKernelFunc, requireFloat32 } from '../kernel-call';
import { TOTAL, int, partialSums, totalUniforms } from './channel-sums';
import { WebGpuCall, elementWiseProgram, releasedOnFailure, runProgram } from './program';

type Inputs = { labels: tf.TensorInfo; logits: tf.TensorInfo };
type GradInputs = Inputs & { dy: tf.TensorInfo };

function checkInputs(kernel: string, inputs: Record<string, tf.TensorInfo>): void {
  requireFloat32(kernel, inputs);
  checkSoftmaxCrossEntropyShapes(kernel, inputs.labels, inputs.logits);
}

/** WGSL: log(sum(exp(row r))) with the row's maximum subtracted first, as tf.logSoftmax does. */
const LOG_SUM_EXP = `
  fn logSumExp(r : i32) -> f32 {
    let first = r * uniforms.classes;
    var top = logits[first];
    for (var j = 1; j < uniforms.classes; j = j + 1) { top = max(top, logits[first + j]); }
    var sum = 0.0;
    for (var j = 0; j < uniforms.classes; j = j + 1) { sum = sum + exp(logits[first + j] - top); }
    return top + log(sum);
  }`;

/**
 * WGSL: [rows, 2], row r's loss, then 1 where its logits' first arg-max is its label's (a strict
 * comparison, so NaN never wins).
 */
const ROW_VALUES = `${LOG_SUM_EXP}
  fn firstArgMax(first : i32, isLabels : bool) -> i32 {
    var best = 0;
    for (var j = 1; j < uniforms.classes; j = j + 1) {
      let candidate = select(logits[first + j], f32(labels[first + j]), isLabels);
      let current = select(logits[first + best], f32(labels[first + best]), isLabels);
      if (candidate > current) { best = j; }
    }
    return best;
  }
  fn rowValue(index : i32) -> f32 {
    let r = index / 2;
    let first = r * uniforms.classes;
    if (index % 2 == 1) {
      return select(0.0, 1.0, firstArgMax(first, false) == firstArgMax(first, true));
    }
    let lse = logSumExp(r);
    var loss = 0.0;
    for (var j = 0; j < uniforms.classes; j = j + 1) {
      loss = loss - f32(labels[first + j]) * (logits[first + j] - lse);
    }
    return loss;
  }`;

function forward({ inputs, backend }: WebGpuCall<Inputs>): tf.TensorInfo[] {
  checkInputs(SOFTMAX_CROSS_ENTROPY, inputs);
  const [rows, classes] = inputs.logits.shape;
  // As the wasm and cpu kernels: the mean of no losses is NaN; rows of no classes lose nothing and
  // all count as right (both arg-maxes are 0). Neither binds the empty inputs to a program.
  if (rows === 0 || classes === 0) {
    const [loss, correct] = rows === 0 ? [NaN, 0] : [0, rows];
    return [loss, correct].map((v) => backend.makeTensorInfo([], 'float32', Float32Array.of(v)));
  }
  const { labels, logits } = inputs;
  const uniforms = [int('classes', classes)];
  const program = elementWiseProgram(
    [rows, 2],
    'batchlab_sce_rows',
    ['labels', 'logits'],
    uniforms,
    ROW_VALUES,
    'rowValue(index)',
  );
  const rowValues = runProgram(backend, program, [labels, logits], uniforms);
  const temporaries = [rowValues];
  try {
    const values = { variables: ['values'], tensors: [rowValues] };
    const { partials, slices } = partialSums(backend, 'batchlab_sce_sums', values, ['values[i]'], rows, 2);
    temporaries.push(partials);
    const totals = totalUniforms(slices, 1, 2, rows);
    const total = (key: string, expression: string) =>
      runProgram(backend, elementWiseProgram([], key, ['partials'], totals, TOTAL, expression), [partials], totals);
    return releasedOnFailure(backend, (keep) => [
      keep(total('batchlab_sce_loss', 'total(0, 0) / f32(uniforms.rows)')),
      keep(total('batchlab_sce_correct', 'total(0, 1)')),
    ]);
  } finally {
    for (const t of temporaries) backend.disposeData(t.dataId);
  }
}

/** Row length from which the gradient reads each row's log-sum-exp from a pass of its own. */
const LONG_ROWS = 32;

/** WGSL: dy / rows * (softmax - labels) at element `index`, its row's log-sum-exp computed here. */
const GRAD = `${LOG_SUM_EXP}
  fn gradAt(index : i32) -> f32 {
    let r = index / uniforms.classes;
    return dy[0] / f32(uniforms.rows) * (exp(logits[index] - logSumExp(r)) - f32(labels[index]));
  }`;

/** WGSL: the same, reading its row's log-sum-exp from `rowLse` (rows long enough to pay a pass). */
const GRAD_LONG_ROWS = `
  fn gradAt(index : i32) -> f32 {
    let r = index / uniforms.classes;
    return dy[0] / f32(uniforms.rows) * (exp(logits[index] - rowLse[r]) - f32(labels[index]));
  }`;

function backward({ inputs, backend }: WebGpuCall<GradInputs>): tf.TensorInfo {
  checkInputs(SOFTMAX_CROSS_ENTROPY_GRAD, inputs);
  const [rows, classes] = inputs.logits.shape;
  const uniforms = [int('classes', classes), int('rows', rows)];
  const { labels, logits, dy } = inputs;
  const shape = [rows, classes];
  // Below LONG_ROWS classes each element redoes its row's sum; above, a pass per row saves classes² reads.
  if (classes < LONG_ROWS || rows === 0) {
    const program = elementWiseProgram(
      shape,
      'batchlab_sce_grad',
      ['labels', 'logits', 'dy'],
      uniforms,
      GRAD,
      'gradAt(index)',
    );
    return runProgram(backend, program, [labels, logits, dy], uniforms);
  }
  const lseProgram = elementWiseProgram(
    [rows],
    'batchlab_sce_lse',
    ['logits'],
    uniforms,
    LOG_SUM_EXP,
    'logSumExp(index)',
  );
  const rowLse = runProgram(backend, lseProgram, [logits], uniforms);
  try {
    const variables = ['labels', 'logits', 'dy', 'rowLse'];
    const program = elementWiseProgram(
      shape,
      'batchlab_sce_grad_long',
      variables,
      uniforms,
      GRAD_LONG_ROWS,
      'gradAt(index)',
    );
    return runProgram(backend, program, [labels, logits, dy, rowLse], uniforms);
  } finally {
    backend.disposeData(rowLse.dataId);
  }
}

export const webGpuSoftmaxCrossEntropyKernels: readonly PortableKernel[] = [
  { kernelName: SOFTMAX_CROSS_ENTROPY, kernelFunc: asKernelFunc(forward as never) },
  { kernelName: SOFTMAX_CROSS_ENTROPY_GRAD, kernelFunc: asKernelFunc(backward as never) },
];
