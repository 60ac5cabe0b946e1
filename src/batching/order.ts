/**
 * Step one of batching: the order in which an epoch visits the samples. Owns shuffling, seeded
 * from (seed, epoch) so every epoch differs and two runs with one seed agree. Grouping the order
 * into batches is grouping.ts's job; nothing here touches tensors.
 */
import { createRng, deriveSeed, permutation } from '../util/random';

/**
 * Indices 0..size-1 for one epoch: a seeded permutation when `shuffle`, else the identity.
 * @example epochOrder(4, 0, 7, false) -> [0, 1, 2, 3]
 */
export function epochOrder(size: number, epoch: number, seed: number, shuffle: boolean): Int32Array {
  if (!shuffle) return Int32Array.from({ length: size }, (_, i) => i);
  return permutation(size, createRng(deriveSeed(seed, epoch)));
}
