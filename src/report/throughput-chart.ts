/**
 * The plot of a throughput sweep: samples/s against batch size on a log2 axis, one panel per
 * backend (each its own linear y axis: backends often differ tenfold, and the question is the
 * few percent between neighbours), a line through the mean of the repeats with a band from their
 * min to their max, powers of two marked by dashed rules and larger diamond points, the findings
 * written under it; and the files it goes to (SVG and PNG, written atomically).
 */
import { writeFileAtomic } from '../io/atomic-write';
import { ThroughputSweep, assessThroughput, isPowerOfTwo, mean } from '../throughput';
import { renderSvg, svgToPng } from './chart-render';
import { ChartSpec, withNote } from './charts';

const POWER = 'power of two';

export function throughputChart(sweep: ThroughputSweep, title = throughputTitle(sweep)): ChartSpec {
  const rows = sweep.points.map((p) => ({
    backend: p.backend,
    batchSize: p.batchSize,
    mean: mean(p.samplesPerSecond),
    min: Math.min(...p.samplesPerSecond),
    max: Math.max(...p.samplesPerSecond),
    point: isPowerOfTwo(p.batchSize) ? POWER : 'other',
  }));
  const sizes = rows.map((r) => r.batchSize);
  const powers = powersBetween(Math.min(...sizes), Math.max(...sizes));
  const backends = [...new Set(rows.map((r) => r.backend))];
  const x = {
    field: 'batchSize',
    type: 'quantitative' as const,
    title: 'Batch size (log2 scale)',
    scale: { type: 'log' as const, base: 2, domain: [powers[0], powers[powers.length - 1]] },
    axis: { values: powers, format: 'd', grid: false },
  };
  const colour = {
    field: 'backend',
    type: 'nominal' as const,
    title: 'Backend',
    scale: { domain: backends },
    legend: null,
  };
  const y = { type: 'quantitative' as const, title: 'Samples/s', scale: { zero: false } };
  const panel = (backend: string) => {
    const values = rows.filter((r) => r.backend === backend);
    return {
      title: { text: `${backend}: ${sweep.device[backend] ?? ''}`, anchor: 'start' as const, fontSize: 12 },
      width: 560,
      height: 170,
      layer: [
        {
          data: { values: powers.map((p) => ({ batchSize: p })) },
          mark: { type: 'rule', strokeDash: [4, 4], color: '#bbb' },
          encoding: { x },
        },
        {
          data: { values },
          mark: { type: 'area', opacity: 0.25 },
          encoding: { x, y: { ...y, field: 'min' }, y2: { field: 'max' }, color: colour },
        },
        { data: { values }, mark: { type: 'line' }, encoding: { x, y: { ...y, field: 'mean' }, color: colour } },
        {
          data: { values },
          mark: { type: 'point', filled: true, opacity: 1 },
          encoding: {
            x,
            y: { ...y, field: 'mean' },
            color: colour,
            shape: {
              field: 'point',
              type: 'nominal' as const,
              scale: { domain: [POWER, 'other'], range: ['diamond', 'circle'] },
              legend: null,
            },
            size: {
              field: 'point',
              type: 'ordinal' as const,
              sort: [POWER, 'other'],
              scale: { domain: [POWER, 'other'], range: [110, 30] },
              legend: null,
            },
          },
        },
      ],
    };
  };
  const chart = { vconcat: backends.map(panel), resolve: { scale: { y: 'independent' } } };
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
