// Seeded random kernel calls for differential tests: shapes with zero-sized and size-1 dimensions,
// values with NaN, ±Infinity and -0, a runner that calls one kernel on two backends, and the
// comparison. Every case has its own seed, printed on failure; BATCHLAB_FUZZ_REPLAY=<seed> runs
// that case alone. BATCHLAB_FUZZ_CASES sets the cases per kernel, BATCHLAB_FUZZ_SEED the base seed.
import * as tf from '@tensorflow/tfjs';
import { Rng, createRng, deriveSeed, gaussian } from '../../src/util/random';

export const CASES = Number(process.env.BATCHLAB_FUZZ_CASES ?? 20);
const BASE_SEED = Number(process.env.BATCHLAB_FUZZ_SEED ?? 20261202);
const REPLAY = process.env.BATCHLAB_FUZZ_REPLAY;

/** The seeds of the cases to run for the kernel named `name`. */
export function caseSeeds(name: string, count = CASES): number[] {
  if (REPLAY !== undefined) return [Number(REPLAY)];
  const nameHash = [...name].reduce((h, ch) => deriveSeed(h, ch.charCodeAt(0)), 0);
  return Array.from({ length: count }, (_, i) => deriveSeed(BASE_SEED, nameHash, i));
}

export type DType = 'float32' | 'int32' | 'bool';

/** A tensor as plain data, so that each backend builds its own. */
export interface Operand {
  values: number[];
  shape: number[];
  dtype: DType;
}

/** A kernel call: inputs, attributes, and a description of the case for failure messages. */
export interface KernelCase {
  inputs: Record<string, Operand>;
  attrs: Record<string, unknown>;
}

export const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

/** One dimension: 0 now and then, 1 often, else up to `max`. */
export function dim(rng: Rng, max = 5, zero = 0.08): number {
  const r = rng();
  return r < zero ? 0 : r < zero + 0.25 ? 1 : int(rng, 1, max);
}

export function shape(rng: Rng, rank: number, max = 5, zero = 0.08): number[] {
  return Array.from({ length: rank }, () => dim(rng, max, zero));
}

export const SPECIALS: readonly number[] = [NaN, Infinity, -Infinity, -0, 0];

/**
 * The specials and float32's extremes: near its largest value (whose sums and squares overflow), a
 * value whose square does, tiny normals (whose squares underflow) and subnormals down to the least.
 */
export const EXTREMES: readonly number[] = [
  ...SPECIALS,
  ...[3e38, -3e38, 1e30, -1e30, 1e-30, -1e-30, 1e-40, -1.4e-45].map(Math.fround),
];

/** `size` values of `dtype`: gaussians (float32, with `specials` at rate `special`), small ints or 0/1. */
export function values(
  rng: Rng,
  size: number,
  dtype: DType = 'float32',
  special = 0,
  specials: readonly number[] = SPECIALS,
): number[] {
  return Array.from({ length: size }, () => {
    if (dtype === 'bool') return int(rng, 0, 1);
    if (dtype === 'int32') return int(rng, -5, 5);
    return rng() < special ? pick(rng, specials) : Math.fround(gaussian(rng));
  });
}

export function operand(
  rng: Rng,
  dims: number[],
  dtype: DType = 'float32',
  special = 0,
  specials: readonly number[] = SPECIALS,
): Operand {
  return { values: values(rng, tf.util.sizeFromShape(dims), dtype, special, specials), shape: dims, dtype };
}

/** What a call gave: its outputs as plain data, or the error it threw. */
export type Outcome = { outputs: Operand[] } | { error: string };

export function toTensor(o: Operand): tf.Tensor {
  return tf.tensor(o.dtype === 'bool' ? o.values.map(Boolean) : o.values, o.shape, o.dtype);
}

/** Runs `fn` on tensors made from `inputs` in the active backend; outputs read back, everything disposed. */
export function outcomeOf(
  inputs: Record<string, Operand>,
  fn: (t: tf.NamedTensorMap) => tf.Tensor | tf.Tensor[],
): Outcome {
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, o]) => [k, toTensor(o)]));
  try {
    const result = tf.tidy(() => fn(tensors));
    const list = Array.isArray(result) ? result : [result];
    const outputs = list.map((t) => ({ values: Array.from(t.dataSync()), shape: t.shape, dtype: t.dtype as DType }));
    tf.dispose(list);
    return { outputs };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Whether `a` stands for `b`: both NaN, equal (with the sign of zero), or within a positive `bound` of a finite `b`. */
function same(a: number, b: number, bound: number): boolean {
  return (
    Object.is(a, b) ||
    (Number.isNaN(a) && Number.isNaN(b)) ||
    (bound > 0 && Number.isFinite(b) && Math.abs(a - b) <= bound)
  );
}

const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

/**
 * Why `actual` differs from `expected`, or null. Both threw: agreement. Values compare as equal
 * when both are NaN, or equal including the sign of zero when `tolerance` is 0; otherwise within
 * tolerance x `scaleOf` (one for all outputs, or one per output), by default the largest finite
 * magnitude of the expected output (infinities must match; a bound of 0 asks for equal values). With `exact` (per output, the float64
 * value of the same formula), a value may instead stand for that value rounded to float32: where
 * stock's float32 steps overflow or lose digits that a float64 evaluation keeps.
 */
export function difference(
  actual: Outcome,
  expected: Outcome,
  tolerance: number,
  scaleOf?: number | readonly number[],
  exact?: readonly (readonly number[])[],
): string | null {
  if ('error' in expected || 'error' in actual) {
    if ('error' in expected && 'error' in actual) return null;
    return 'error' in actual
      ? `threw "${actual.error}", stock gave a result`
      : `stock threw "${(expected as { error: string }).error}"`;
  }
  if (actual.outputs.length !== expected.outputs.length)
    return `${actual.outputs.length} outputs, stock ${expected.outputs.length}`;
  for (const [i, want] of expected.outputs.entries()) {
    const got = actual.outputs[i];
    if (got.shape.join() !== want.shape.join())
      return `output ${i} shape [${got.shape.join()}], stock [${want.shape.join()}]`;
    if (got.dtype !== want.dtype) return `output ${i} dtype ${got.dtype}, stock ${want.dtype}`;
    const given = typeof scaleOf === 'number' ? scaleOf : scaleOf?.[i];
    const bound = tolerance * (given ?? Math.max(1e-30, ...want.values.filter(Number.isFinite).map(Math.abs)));
    // Compared up to the shape's size: stock cpu's buffer for an empty product can hold more.
    for (let j = 0; j < tf.util.sizeFromShape(want.shape); j++) {
      const [a, b, e] = [got.values[j], want.values[j], exact?.[i][j]];
      if (same(a, b, bound) || (e !== undefined && same(a, Math.fround(e), bound))) continue;
      return `output ${i}[${j}] = ${show(a)}, stock ${show(b)}${e === undefined ? '' : `, float64 ${show(e)}`}`;
    }
  }
  return null;
}

/** A case as text: operand shapes and dtypes, and the attributes. */
export function describeCase(c: KernelCase): string {
  const inputs = Object.entries(c.inputs).map(([k, o]) => `${k} ${o.dtype}[${o.shape.join()}]`);
  return `${inputs.join(', ')} attrs ${JSON.stringify(c.attrs)}`;
}

/** The failure message for case `seed` of `kernel`, with how to run it again. */
export function failure(kernel: string, seed: number, c: KernelCase, why: string): string {
  return `${kernel} differs from stock tfjs (${why}) for ${describeCase(c)}; replay: BATCHLAB_FUZZ_REPLAY=${seed}`;
}

export { createRng };
