// What the random cases of batchlab's fused ops are made of: the case type that ./fuzz-fused.test.ts
// runs (the fused op, the same maths in tfjs' own ops, and how to compare them) and the operands,
// float32 values with ±0, ±Infinity, NaN, float32's extremes and subnormals (../helpers/fuzz EXTREMES).
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/util/random';
import { EXTREMES, KernelCase, Operand, operand } from '../helpers/fuzz';
import { Float64Reference } from './fused-float64';

export type Call = (t: tf.NamedTensorMap, attrs: Record<string, unknown>) => tf.Tensor[];

export interface FusedFuzz {
  make: (rng: Rng) => KernelCase;
  /** batchlab's op, on the backend under test. */
  fused: Call;
  /** The same outputs from tfjs' own ops, as tfjs computes them without batchlab. */
  stock: Call;
  /** The kernels `fused` must have run (checked over all cases, so that a fall-back cannot pass). */
  kernels: string[];
  /** The comparison's tolerance (0: equal bit for bit, see ../helpers/fuzz `difference`). */
  tolerance: number;
  /** The maths in float64 and the magnitudes errors are measured against (./fused-float64), where not bit for bit. */
  float64?: (c: KernelCase) => Float64Reference;
}

/** Specials in about a third of the cases, at one value in ten. */
export const specialRate = (rng: Rng) => (rng() < 0.33 ? 0.1 : 0);

/** float32 values with `specials` at `rate`, the others gaussians times `spread` plus `offset`. */
export function data(
  rng: Rng,
  dims: number[],
  rate: number,
  {
    spread = 1,
    offset = 0,
    specials = EXTREMES,
  }: { spread?: number; offset?: number; specials?: readonly number[] } = {},
): Operand {
  const o = operand(rng, dims, 'float32', rate, specials);
  const plain = operand(rng, dims).values;
  o.values = o.values.map((v, i) => (specials.includes(v) ? v : Math.fround(offset + spread * plain[i])));
  return o;
}
