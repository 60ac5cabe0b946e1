/**
 * Seeded pseudo-random numbers for everything batchlab decides at random (sample order, splits,
 * synthetic data, weight initialisation seeds). Owns the generator and the rule for deriving
 * independent seeds from (seed, epoch, ...); callers never use Math.random.
 */

/** A function returning uniform floats in [0, 1). */
export type Rng = () => number;

/**
 * Mixes any number of integers into one 32-bit seed (MurmurHash3's finaliser on each part), so that
 * (seed 1, epoch 2) and (seed 2, epoch 1) give unrelated streams.
 */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Mulberry32: small, fast, and good enough for shuffling and synthetic data. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample (Box-Muller). */
export function gaussian(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Indices 0..n-1 in a random order (Fisher-Yates on a fresh array; the input is never mutated). */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}
