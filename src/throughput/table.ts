/**
 * A sweep as text: the printed table (batch size by backend, mean ± sd samples/s, powers of two
 * marked) and the CSV file (one row per timed repeat, for other tools). Formatting only.
 */
import { formatRate, mean, standardDeviation } from './describe';
import { isPowerOfTwo, ThroughputSweep } from './sweep';

export const CSV_COLUMNS = [
  'backend',
  'batch_size',
  'power_of_two',
  'repeat',
  'steps',
  'seconds',
  'samples_per_second',
] as const;

/**
 * One row per batch size, one column per measured backend.
 * @example
 *   batch   wasm samples/s
 *      16   10,212 ± 85
 *   * 32   14,480 ± 120
 */
export function formatThroughputTable(sweep: ThroughputSweep): string {
  const backends = [...new Set(sweep.points.map((p) => p.backend))];
  const sizes = [...new Set(sweep.points.map((p) => p.batchSize))].sort((a, b) => a - b);
  const cell = (backend: string, size: number): string => {
    const point = sweep.points.find((p) => p.backend === backend && p.batchSize === size);
    if (!point) return '-';
    const values = point.samplesPerSecond;
    return `${formatRate(mean(values))} ± ${formatRate(standardDeviation(values))}`;
  };
  const header = ['batch', ...backends.map((b) => `${b} samples/s`)];
  const rows = sizes.map((size) => [`${isPowerOfTwo(size) ? '* ' : ''}${size}`, ...backends.map((b) => cell(b, size))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('   ');
  return [line(header), ...rows.map(line), '(* a power of two; mean ± sd over the repeats)'].join('\n');
}

/** The CSV text: a header of CSV_COLUMNS, then one line per backend, batch size and repeat. */
export function throughputCsv(sweep: ThroughputSweep): string {
  const lines = sweep.points.flatMap((p) =>
    p.samplesPerSecond.map((rate, repeat) =>
      [p.backend, p.batchSize, isPowerOfTwo(p.batchSize), repeat + 1, p.steps, p.seconds[repeat], rate].join(','),
    ),
  );
  return `${[CSV_COLUMNS.join(','), ...lines].join('\n')}\n`;
}
