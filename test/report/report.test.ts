import { expect } from 'chai';
import { integerTicks, lineChart } from '../../src/report/charts';
import { renderSvg } from '../../src/report/chart-render';
import { reportCharts } from '../../src/report/report';
import { summarize } from '../../src/report/summary';
import type { RunResult } from '../../src/experiment/result';
import { run } from './fixtures';

const NAN_STOP = 'loss became NaN at epoch 1, step 10 (update 10)';
/** The run of the command that used to crash: a NaN-stopped run first in cell order. */
const nanFirst: RunResult[] = [
  run({ optimizer: 'sgd', baseLearningRate: 10, losses: [Number.NaN], accuracies: [0.1], stopReason: NAN_STOP }),
  run({ optimizer: 'sgd', baseLearningRate: 0.001 }),
  run({ optimizer: 'adam', baseLearningRate: 10 }),
  run({ optimizer: 'adam', baseLearningRate: 0.001 }),
];
// As results.jsonl hands it back: JSON writes NaN as null.
const fromJson = (results: RunResult[]): RunResult[] => JSON.parse(JSON.stringify(results));

const chartsOf = (results: RunResult[]) => reportCharts(results, summarize(results));
const chart = (results: RunResult[], name: string) => {
  const found = chartsOf(results).find((c) => c.name === name);
  if (!found) throw new Error(`no chart ${name}`);
  return found;
};

/** Every colour encoding of a series in a spec: its scale's domain and range. */
function seriesScales(spec: unknown): unknown[] {
  const found: unknown[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      const color = (o.encoding as Record<string, { field?: string; scale?: unknown }> | undefined)?.color;
      if (color?.field === 'series') found.push(color.scale);
      Object.entries(o)
        .filter(([k]) => k !== 'data')
        .forEach(([, v]) => walk(v));
    }
  };
  walk(spec);
  return found;
}

describe('report/report', function () {
  this.timeout(60000);

  it('gives each BN variant and convention a panel of its own, off first', () => {
    const results = [
      run({ bn: false }),
      run({ bn: true, bnVariant: 'plain' }),
      run({ bn: true, bnVariant: 'ghost:16' }),
      run({ bn: true, bnVariant: 'renorm', bnConvention: 'pytorch' }),
    ];
    const spec = chart(results, 'final-accuracy').spec as { data: { values: { bn: string }[] }; facet: unknown };
    expect(spec.data.values.map((v) => v.bn)).to.deep.equal([
      'BN off',
      'BN on',
      'ghost BN 16',
      'batch renorm (pytorch)',
    ]);
    expect(JSON.stringify(spec.facet)).to.contain('"sort":["BN off","BN on","ghost BN 16","batch renorm (pytorch)"]');
  });

  it('draws every chart when a NaN-stopped run comes first, with a note naming it', async () => {
    for (const results of [nanFirst, fromJson(nanFirst)]) {
      const charts = chartsOf(results);
      expect(charts.map((c) => c.name)).to.include.members(['loss-vs-epoch', 'accuracy-vs-epoch', 'final-accuracy']);
      const loss = chart(results, 'loss-vs-epoch');
      expect(loss.note).to.deep.equal([`mini:32 sgd lr 10: not drawn (stopped: ${NAN_STOP})`]);
      const accuracy = charts.find((c) => c.name === 'accuracy-vs-epoch');
      expect(accuracy?.note).to.deep.equal([`mini:32 sgd lr 10: stopped: ${NAN_STOP}; drawn up to there`]);
      const svg = await renderSvg(loss.spec);
      expect(svg).to.contain(`stopped: ${NAN_STOP}`);
    }
  });

  it('keeps a failed configuration in the bar charts as an empty bar labelled failed', async () => {
    const results = [
      run({ strategy: 'sgd', bn: false }),
      run({ strategy: 'sgd', bn: true, error: 'strategy sgd trains BatchNorm on a batch of 1 sample. Use a batch.' }),
      run({ strategy: 'mini:32', bn: false }),
      run({ strategy: 'mini:32', bn: true }),
    ];
    const bars = chart(results, 'final-accuracy');
    expect(bars.note).to.deep.equal([
      'sgd, BN on: not drawn (failed: strategy sgd trains BatchNorm on a batch of 1 sample.)',
    ]);
    const svg = await renderSvg(bars.spec);
    expect(svg.split('>failed</text>').length - 1).to.equal(1);
    expect(svg.split('aria-roledescription="bar"').length - 1).to.equal(3);
  });

  it('says a configuration failed when every seed failed, whatever their messages', () => {
    const results = [
      run({ strategy: 'sgd', bn: true, seed: 0, error: 'BatchNorm layer(s) bn3, bn4 on a batch of 1 sample. More.' }),
      run({ strategy: 'sgd', bn: true, seed: 1, error: 'BatchNorm layer(s) bn8, bn9 on a batch of 1 sample. More.' }),
      run({ strategy: 'mini:32', bn: true, seed: 0 }),
      run({ strategy: 'mini:32', bn: true, seed: 1, losses: [Number.NaN], stopReason: NAN_STOP }),
    ];
    expect(chart(results, 'loss-vs-epoch').note).to.deep.equal([
      'sgd: not drawn (failed: BatchNorm layer(s) bn3, bn4 on a batch of 1 sample.)',
      `mini:32: 1 of 2 stopped: ${NAN_STOP}; drawn up to there`,
    ]);
  });

  it('gives each configuration one colour in every chart, also in charts that lack it', () => {
    const charts = chartsOf(nanFirst);
    const expected = {
      domain: ['mini:32 sgd lr 10', 'mini:32 sgd lr 0.001', 'mini:32 adam lr 10', 'mini:32 adam lr 0.001'],
      range: ['#4c78a8', '#f58518', '#54a24b', '#e45756'],
    };
    const seriesCharts = charts.filter(
      (c) => !['activation-std', 'activation-mean', 'gradient-norms'].includes(c.name),
    );
    expect(seriesCharts).to.have.length.greaterThan(4);
    for (const c of seriesCharts) {
      const scales = seriesScales(c.spec);
      expect(scales, c.name).to.have.length.greaterThan(0);
      for (const scale of scales) expect(scale, c.name).to.deep.equal(expected);
    }
  });

  it('writes legend labels in full', async () => {
    const label = 'mini:128 adam lr 0.001 with a label longer than any legend limit';
    const svg = await renderSvg(
      lineChart({
        title: 't',
        x: { field: 'epoch', title: 'Epoch' },
        y: { field: 'loss', title: 'Loss' },
        color: { field: 'series', title: 'Strategy' },
        data: [1, 2].map((epoch) => ({ epoch, loss: 1 / epoch, series: label })),
      }),
    );
    expect(svg).to.contain(`>${label}</text>`);
  });

  it('ticks epochs at whole numbers: 1 and 2 for two epochs', async () => {
    expect(integerTicks([{ e: 1 }, { e: 2 }], 'e')).to.deep.equal([1, 2]);
    expect(integerTicks([{ e: 0 }, { e: 30 }], 'e')).to.deep.equal([0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    const svg = await renderSvg(chart(nanFirst, 'loss-vs-epoch').spec);
    const xAxis = svg.slice(svg.indexOf('aria-label="X-axis'), svg.indexOf('>Epoch</text>'));
    expect([...xAxis.matchAll(/>([^<>]+)<\/text>/g)].map((m) => m[1])).to.deep.equal(['1', '2']);
  });

  it('draws final test loss for regression', () => {
    const charts = chartsOf([run({ accuracies: [null, null] }), run({ strategy: 'full', accuracies: [null, null] })]);
    expect(charts.map((c) => c.name))
      .to.include('final-test-loss')
      .and.to.not.include('final-accuracy');
  });

  it('plots the learning rate and the norm before clipping of runs that record them, and names the runs without', () => {
    const results = [run(), run({ lrSchedule: 'step:every=1ep,factor=0.5', learningRate: 0.02 })];
    const rate = chart(results, 'lr-vs-updates');
    const values = (rate.spec as { vconcat?: { data: { values: Record<string, unknown>[] } }[] }).vconcat?.[0].data
      .values;
    expect(values?.map((row) => [row.series, row.update, row.learningRate])).to.deep.equal([
      ['mini:32 lr 0.02 step:every=1ep,factor=0.5', 1, 0.02],
      ['mini:32 lr 0.02 step:every=1ep,factor=0.5', 11, 0.01],
    ]);
    expect(rate.note.join('\n')).to.match(
      /mini:32 lr 0.001 no schedule.*no schedule: the rate stays at the one in the table/,
    );
    expect(chart(results, 'grad-norm-vs-updates').note.join('\n')).to.match(/no clipping: the norm is not recorded/);
    const plain = chartsOf([run(), run({ strategy: 'full' })]).map((c) => c.name);
    expect(plain).to.not.include('lr-vs-updates').and.to.not.include('grad-norm-vs-updates');
  });
});
