/**
 * What batchlab's WebGPU kernels use of tfjs-backend-webgpu: its program interface and
 * runWebGPUProgram (public in its types, documented for custom kernels), described here so that
 * importing this module does not load the backend. tfjs writes each program's WGSL preamble: one
 * storage array per input, named as the program's variables, `uniforms` with the program's own
 * fields, and `setOutputAtIndex`; the program supplies `main`. A pipeline binds only the buffers its
 * shader reads, so a program names just the inputs it uses.
 */
import * as tf from '@tensorflow/tfjs';

export interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  size: boolean;
  getUserCode(): string;
}

export type ProgramUniforms = { type: 'float32' | 'int32'; data: number[] }[];

export interface WebGpuBackend {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: ProgramUniforms,
  ): tf.TensorInfo;
  /** A tensor of the given values, uploaded when a program first reads it. */
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  /** Releases a tensor's buffer once the queued dispatches that use it have run. */
  disposeData(dataId: tf.DataId): boolean;
}

/** A kernel call as tfjs makes it on the WebGPU backend (attrs empty where the kernel takes none). */
export interface WebGpuCall<Inputs> {
  inputs: Inputs;
  backend: WebGpuBackend;
  attrs: tf.NamedAttrMap;
}

/** A program's own uniform: its WGSL name, type and value. */
export interface Uniform {
  name: string;
  type: 'f32' | 'i32';
  value: number;
}

const WORKGROUP = 128;

/**
 * A flat program over `shape` that sets each output element to `expression` (WGSL, of `index`),
 * after `helpers` (WGSL functions), with `uniforms` as fields of `uniforms`. Each value travels in
 * the dispatch, so one compiled shader serves every value. tfjs splits a dispatch wider than the
 * device allows.
 */
export function elementWiseProgram(
  shape: number[],
  key: string,
  variables: string[],
  uniforms: Uniform[],
  helpers: string,
  expression: string,
): WebGpuProgram {
  const size = tf.util.sizeFromShape(shape);
  return {
    outputShape: shape,
    shaderKey: key,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    variableNames: variables,
    uniforms: uniforms.map(({ name, type }) => `${name} : ${type},`).join(' '),
    size: true,
    getUserCode: () => `
      ${helpers}
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, ${expression});
        }
      }`,
  };
}

/** The uniforms' values, in declaration order, as runWebGPUProgram takes them. */
export function uniformValues(uniforms: Uniform[]): ProgramUniforms {
  return uniforms.map(({ type, value }) => ({ type: type === 'f32' ? 'float32' : 'int32', data: [value] }));
}

/** Runs `program` on `backend` with `inputs` and the program's uniforms, into a new float32 tensor. */
export function runProgram(
  backend: WebGpuBackend,
  program: WebGpuProgram,
  inputs: tf.TensorInfo[],
  uniforms: Uniform[],
): tf.TensorInfo {
  return backend.runWebGPUProgram(program, inputs, 'float32', uniformValues(uniforms));
}

/**
 * Runs `body`, which passes each output it makes through `keep`; if a later dispatch throws (tfjs'
 * own checks, a failed upload; a lost device is reported later, not thrown), the outputs kept so
 * far are released before the error goes on, so that a kernel of several dispatches that fails
 * part way leaves no buffer behind.
 */
export function releasedOnFailure<T>(
  backend: WebGpuBackend,
  body: (keep: (t: tf.TensorInfo) => tf.TensorInfo) => T,
): T {
  const kept: tf.TensorInfo[] = [];
  try {
    return body((t) => {
      kept.push(t);
      return t;
    });
  } catch (error) {
    for (const t of kept) backend.disposeData(t.dataId);
    throw error;
  }
}
