/**
 * What batchlab's WebGPU kernels use of tfjs-backend-webgpu: its program interface and
 * runWebGPUProgram (public in its types, documented for custom kernels), described here so that
 * importing this module does not load the backend. tfjs writes each program's WGSL preamble: one
 * storage array per input, named as the program's variables, `uniforms` with the program's own
 * fields, and `setOutputAtIndex`; the program supplies `main`.
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
}

const WORKGROUP = 128;

/**
 * A flat program over `shape` that sets each output element to `expression` (WGSL, of `index`),
 * after `helpers` (WGSL functions); `uniforms` are f32 fields of `uniforms`, filled by
 * f32Uniforms in the same order. tfjs splits a dispatch wider than the device allows.
 */
export function elementWiseProgram(
  shape: number[],
  key: string,
  variables: string[],
  uniforms: string[],
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
    uniforms: uniforms.map((name) => `${name} : f32,`).join(' '),
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

/** Program-defined uniforms, each a float32, in the order the program declared them. */
export function f32Uniforms(values: number[]): ProgramUniforms {
  return values.map((value) => ({ type: 'float32', data: [value] }));
}
