/**
 * Per-channel sums over the rows of an [M, C] activation on WebGPU, in two dispatches that keep a
 * large GPU busy and give the same sum every time: the rows are cut into slices, one thread per
 * (slice, channel) adds its slice into a partial sum, then one thread per channel adds the
 * partials in slice order. Neighbouring threads read neighbouring channels of a row.
 */
import * as tf from '@tensorflow/tfjs';
import { Uniform, WebGpuBackend, elementWiseProgram, runProgram } from './program';

/** About this many threads in the partial sums' dispatch. */
const TARGET_THREADS = 1 << 16;

/** No slice shorter than this many rows: below it the partials cost more than they save. */
const MIN_SLICE = 32;

export interface SlicedRows {
  slices: number;
  /** Rows per slice (the last may have fewer). */
  slice: number;
}

/**
 * Slices of `rows` for `channels` threads per slice: about `targetThreads` threads in all, no slice
 * shorter than `minSlice` rows (unless there is only one).
 */
export function sliceRows(
  rows: number,
  channels: number,
  targetThreads = TARGET_THREADS,
  minSlice = MIN_SLICE,
): SlicedRows {
  const slices = Math.max(1, Math.min(Math.ceil(targetThreads / Math.max(channels, 1)), Math.floor(rows / minSlice)));
  return { slices, slice: Math.max(1, Math.ceil(rows / slices)) };
}

export const int = (name: string, value: number): Uniform => ({ name, type: 'i32', value });

/**
 * `terms` partial sums per channel: output [slices, terms, C], where term t of row r and channel c
 * is the WGSL expression terms[t] of `i` (the element r * C + c) and `c`, reading `variables`.
 */
export function partialSums(
  backend: WebGpuBackend,
  key: string,
  inputs: { variables: string[]; tensors: tf.TensorInfo[] },
  terms: string[],
  rows: number,
  channels: number,
): { partials: tf.TensorInfo; slices: number } {
  const { slices, slice } = sliceRows(rows, channels);
  const uniforms = [int('channels', channels), int('rows', rows), int('slice', slice), int('terms', terms.length)];
  const cases = terms.map((term, t) => `if (t == ${t}) { return ${term}; }`).join('\n    ');
  const helpers = `
  fn term(t : i32, i : i32, c : i32) -> f32 {
    ${cases}
    return 0.0;
  }
  fn partial(index : i32) -> f32 {
    let c = index % uniforms.channels;
    let t = (index / uniforms.channels) % uniforms.terms;
    let s = index / (uniforms.channels * uniforms.terms);
    let end = min((s + 1) * uniforms.slice, uniforms.rows);
    var sum = 0.0;
    for (var r = s * uniforms.slice; r < end; r = r + 1) {
      sum = sum + term(t, r * uniforms.channels + c, c);
    }
    return sum;
  }`;
  const program = elementWiseProgram(
    [slices, terms.length, channels],
    key,
    inputs.variables,
    uniforms,
    helpers,
    'partial(index)',
  );
  return { partials: runProgram(backend, program, inputs.tensors, uniforms), slices };
}

/**
 * WGSL helper `total(t, c)`: term t's partials of channel c added in slice order, from the input
 * named `partials`; its program declares the uniforms that totalUniforms gives.
 */
export const TOTAL = `
  fn total(t : i32, c : i32) -> f32 {
    var sum = 0.0;
    for (var s = 0; s < uniforms.slices; s = s + 1) {
      sum = sum + partials[(s * uniforms.terms + t) * uniforms.channels + c];
    }
    return sum;
  }`;

export function totalUniforms(slices: number, terms: number, channels: number, rows: number): Uniform[] {
  return [int('slices', slices), int('terms', terms), int('channels', channels), int('rows', rows)];
}
