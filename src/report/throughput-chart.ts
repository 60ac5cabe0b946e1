/**
 * The plot of a throughput sweep: samples/s against batch size on a log2 axis, one line per
 * backend through the mean of the repeats with a band from their min to their max, powers of two
 * marked by dashed rules and diamond points (a log y axis when backends differ tenfold), the findings written under it; and the files it goes
 * to (SVG and PNG, written atomically).
 */
import { writeFileAtomic } from '../io/atomic-write';
import { ThroughputSweep, assessThroughput, isPowerOfTwo, mean } from '../throughput';
import { renderSvg, svgToPng } from './chart-render';
import { ChartSpec, PANEL, withNote } from './charts';

export function throughputChart(sweep: ThroughputSweep, title = throughputTitle(sweep)): ChartSpec {
  const rows = sweep.points.map((p) => ({
    backend: p.backend,
    batchSize: p.batchSize,
    mean: mean(p.samplesPerSecond),
    min: Math.min(...p.samplesPerSecond),
    max: Math.max(...p.samplesPerSecond),
    point: isPowerOfTwo(p.batchSize) ? 'power of two' : 'other',
  }));
  const sizes = rows.map((r) => r.batchSize);
  const powers = powersBetween(Math.min(...sizes), Math.max(...sizes));
  const x = {
    field: 'batchSize',
    type: 'quantitative' as const,
    title: 'Batch size (log2 scale)',
    scale: { type: 'log' as const, base: 2 },
    axis: { values: powers, format: 'd', grid: false },
  };
  const colour = { field: 'backend', type: 'nominal' as const, title: 'Backend', legend: { labelLimit: 0 } };
  // Backends ten times apart would flatten the slower one's curve on a linear axis.
  const means = rows.map((r) => r.mean);
  const log = Math.max(...means) > 10 * Math.min(...means);
  const samples = {
    type: 'quantitative' as const,
    title: `Samples/s (training steps${log ? ', log scale' : ''})`,
    scale: log ? { type: 'log' as const } : { type: 'linear' as const, zero: true },
  };
  const chart = {
    ...PANEL,
    width: 520,
    layer: [
      {
        data: { values: powers.map((p) => ({ batchSize: p })) },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#bbb' },
        encoding: { x },
      },
      {
        data: { values: rows },
        mark: { type: 'area', opacity: 0.2 },
        encoding: { x, y: { ...samples, field: 'min' }, y2: { field: 'max' }, color: colour },
      },
      {
        data: { values: rows },
        mark: { type: 'line', point: false },
        encoding: { x, y: { ...samples, field: 'mean' }, color: colour },
      },
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x,
          y: { ...samples, field: 'mean' },
          color: colour,
          shape: {
            field: 'point',
            type: 'nominal' as const,
            scale: { domain: ['power of two', 'other'], range: ['diamond', 'circle'] },
            legend: null,
          },
        },
      },
    ],
  };
  const notes = [
    ...assessThroughput(sweep.points).map((f) => f.sentence),
    ...sweep.failures.map((f) => `${f.backend} not measured: ${f.reason}`),
    'line: mean of the repeats; band: their min to max; diamonds and dashed rules: powers of two',
  ];
  return withNote(title, notes.flatMap(wrap), chart);
}

export function throughputTitle(sweep: ThroughputSweep): string {
  const { settings } = sweep;
  const per = settings.steps === null ? `~${settings.seconds}s` : `${settings.steps} steps`;
  return `Training throughput: ${sweep.modelDescription}, ${settings.optimizer}, ${settings.repeats} repeats of ${per}`;
}

/** The powers of two from the one at or below `low` to the one at or above `high`. */
export function powersBetween(low: number, high: number): number[] {
  const powers: number[] = [];
  for (let p = 2 ** Math.floor(Math.log2(low)); p <= 2 ** Math.ceil(Math.log2(high)); p *= 2) powers.push(p);
  return powers;
}

/** A long sentence as lines of at most 110 characters, broken at spaces. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > 110) {
      lines.push(line);
      line = `  ${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** Writes `<base>.svg` and `<base>.png`; returns their paths. */
export async function writeThroughputChart(base: string, sweep: ThroughputSweep, title?: string): Promise<string[]> {
  const svg = await renderSvg(throughputChart(sweep, title));
  await writeFileAtomic(`${base}.svg`, svg);
  await writeFileAtomic(`${base}.png`, svgToPng(svg, { width: 1400 }));
  return [`${base}.svg`, `${base}.png`];
}
