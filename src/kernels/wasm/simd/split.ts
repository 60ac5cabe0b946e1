/**
 * How a kernel's work is cut between threads: rows (or elements) in contiguous ranges, each a
 * multiple of the kernel's tile so that every row runs through the same code path whatever the
 * thread count, which keeps the results bit-identical for any number of threads. Pure arithmetic.
 */

/**
 * Up to `parts` ranges [start, count) covering [0, total), each a multiple of `align` except the
 * last, which also takes the remainder; never an empty range, and fewer parts when `total` is small.
 */
export function splitRange(total: number, parts: number, align: number): [number, number][] {
  const units = Math.floor(total / align);
  const used = Math.max(1, Math.min(parts, units));
  const ranges: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < used; i++) {
    const count =
      i === used - 1 ? total - start : align * (Math.floor((units * (i + 1)) / used) - Math.floor((units * i) / used));
    ranges.push([start, count]);
    start += count;
  }
  return ranges;
}

/** Threads worth using for `work` multiply-adds (or element updates): each must get at least `minEach`. */
export function threadsFor(work: number, threads: number, minEach: number): number {
  return Math.max(1, Math.min(threads, Math.floor(work / minEach)));
}
