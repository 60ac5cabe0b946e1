import { expect } from 'chai';
import { summarize, summaryCsv, summaryTable } from '../../src/report/summary';
import { outcomeOf, stopReasonOf } from '../../src/report/run-status';
import { reportHtml } from '../../src/report/report-html';
import { run } from './fixtures';

const NAN_STOP = 'loss became NaN at epoch 1, step 10 (update 10)';
const headerOf = (table: string): string[] => table.split('\n')[0].split(/\s{2,}/);
const rowOf = (table: string, start: string): string => table.split('\n').find((l) => l.startsWith(start)) ?? '';

describe('report/summary', () => {
  it('says under the table and in report.html that timings with jobs > 1 are inflated by contention', () => {
    const alone = [run({ seed: 0 }), { ...run({ seed: 1 }), jobs: 1 }];
    const shared = [run({ seed: 0 }), { ...run({ seed: 1 }), jobs: 3 }];
    const note =
      "  Timings were taken with --jobs 3: up to 3 runs at once shared this machine's cores, so s/epoch, s/update and samples/s are inflated by contention; for timings to compare, run with --jobs 1.";
    expect(summaryTable(summarize(shared)).split('\n')).to.include(note);
    expect(summaryTable(summarize(alone))).not.to.match(/contention/);
    const page = (results: typeof alone) => ({
      title: 't',
      charts: [],
      summary: summarize(results),
      results,
      spec: {},
    });
    expect(reportHtml(page(shared))).to.include(`<p><strong>${note.trim()}</strong></p>`);
    expect(reportHtml(page(alone))).not.to.match(/contention/);
    expect(summaryCsv(summarize(shared)).split('\n')[1].split(',').at(-2)).to.equal('3');
  });

  it('says how many threads the runs computed with, in the CSV and under the table, when it is known', () => {
    const two = [
      { ...run({ seed: 0 }), threads: 2 },
      { ...run({ seed: 1 }), threads: 2 },
    ];
    const csv = summaryCsv(summarize(two)).split('\n');
    expect(csv[0].split(',').at(-1)).to.equal('threads');
    expect(csv[1].split(',').at(-1)).to.equal('2');
    expect(summaryTable(summarize(two))).to.include(
      "  Threads per run: 2 (the backend's compute threads; time depends on them).",
    );
    const mixed = [
      run({ seed: 0 }),
      { ...run({ seed: 1, strategy: 'mini:64' }), threads: 1 },
      { ...run({ seed: 2 }), threads: 4 },
    ];
    expect(summaryTable(summarize(mixed))).to.include('Threads per run: 1, 4 (');
    const unknown = [run({ seed: 0 }), { ...run({ seed: 1 }), threads: null }];
    expect(summaryTable(summarize(unknown))).not.to.match(/Threads per run/);
    expect(summaryCsv(summarize(unknown)).split('\n')[1].split(',').at(-1)).to.equal('');
  });

  it('gives optimizer and learning-rate columns when they vary, with the rate trained with', () => {
    // --lr-rule linear:128 with mini:32: base 0.01 trains at 0.0025, base 0.1 at 0.025.
    const results = ['adam', 'sgd'].flatMap((optimizer) =>
      [0.01, 0.1].map((base) =>
        run({ optimizer: optimizer as 'adam' | 'sgd', baseLearningRate: base, learningRate: (base * 32) / 128 }),
      ),
    );
    const table = summaryTable(summarize(results));
    expect(headerOf(table).slice(0, 6)).to.deep.equal(['model', 'strategy', 'BN', 'optimizer', 'lr', 'runs']);
    const rows = table.split('\n').slice(2, 6);
    expect(rows.map((l) => l.split(/\s+/).slice(3, 5))).to.deep.equal([
      ['adam', '0.0025'],
      ['adam', '0.025'],
      ['sgd', '0.0025'],
      ['sgd', '0.025'],
    ]);
  });

  it('names the BN variant in the BN column, and the convention in a column of its own, when they vary', () => {
    const results = [
      run({ bn: false }),
      run({ bn: true, bnVariant: 'plain', bnConvention: 'keras' }),
      run({ bn: true, bnVariant: 'ghost:16', bnConvention: 'keras' }),
      run({ bn: true, bnVariant: 'renorm', bnConvention: 'pytorch' }),
    ];
    const table = summaryTable(summarize(results));
    expect(headerOf(table).slice(0, 5)).to.deep.equal(['model', 'strategy', 'BN', 'BN conv.', 'runs']);
    expect(
      table
        .split('\n')
        .slice(2, 6)
        .map((l) => l.split(/\s+/).slice(2, 4)),
    ).to.deep.equal([
      ['off', '-'],
      ['plain', 'keras'],
      ['ghost:16', 'keras'],
      ['renorm', 'pytorch'],
    ]);
    const [header, ...lines] = summaryCsv(summarize(results)).trim().split('\n');
    const columns = header.split(',');
    const cells = lines.map((l) => ['bn_variant', 'bn_convention'].map((c) => l.split(',')[columns.indexOf(c)]));
    expect(cells).to.deep.equal([
      ['', ''],
      ['plain', 'keras'],
      ['ghost:16', 'keras'],
      ['renorm', 'pytorch'],
    ]);
    // Plain BN only, one convention: the table as before variants, BN on/off and no convention column.
    const plain = summaryTable(
      summarize([run({ bn: false }), run({ bn: true, bnVariant: 'plain', bnConvention: 'keras' })]),
    );
    expect(headerOf(plain)).to.not.include('BN conv.');
    expect(
      plain
        .split('\n')
        .slice(2, 4)
        .map((l) => l.split(/\s+/)[2]),
    ).to.deep.equal(['off', 'on']);
  });

  it('leaves out the optimizer and learning-rate columns when every row shares them', () => {
    const table = summaryTable(summarize([run({ strategy: 'full' }), run({ strategy: 'sgd' })]));
    expect(headerOf(table)).to.not.include('optimizer').and.to.not.include('lr');
  });

  it('gives a schedule column when schedules vary (none for a run without one), and a CSV column always', () => {
    const results = [run(), run({ lrSchedule: 'warmup:1ep+cosine' })];
    const table = summaryTable(summarize(results));
    expect(headerOf(table).slice(0, 5)).to.deep.equal(['model', 'strategy', 'BN', 'lr schedule', 'runs']);
    expect(rowOf(table, 'mlp').split(/\s{2,}/)[3]).to.equal('none');
    expect(table).to.match(/^mlp +mini:32 +off +warmup:1ep\+cosine +1 /m);
    expect(headerOf(summaryTable(summarize([run({ lrSchedule: 'cosine' })])))).to.not.include('lr schedule');
    const csv = summaryCsv(summarize(results)).split('\n');
    const column = csv[0].split(',').indexOf('lr_schedule');
    expect(csv.slice(1, 3).map((line) => line.split(',')[column])).to.deep.equal(['', 'warmup:1ep+cosine']);
  });

  it('marks NaN-stopped and failed configurations in a status column and lists why', () => {
    const results = [
      run({ optimizer: 'sgd', baseLearningRate: 10, losses: [Number.NaN], stopReason: NAN_STOP }),
      run({ strategy: 'sgd', bn: true, error: 'strategy sgd trains BatchNorm on a batch of 1 sample. Use a batch.' }),
      run({ seed: 0 }),
      run({ seed: 1, error: 'out of memory' }),
    ];
    const summary = summarize(results);
    expect(summary.map((r) => [r.failed, r.nanStopped])).to.deep.equal([
      [0, 1],
      [1, 0],
      [1, 0],
    ]);
    const table = summaryTable(summary);
    expect(headerOf(table).at(-1)).to.equal('status');
    expect(rowOf(table, 'mlp    mini:32   off  sgd').trimEnd()).to.match(/ NaN-stopped$/);
    expect(rowOf(table, 'mlp    sgd').trimEnd()).to.match(/ failed$/);
    expect(rowOf(table, 'mlp    mini:32   off  adam').trimEnd()).to.match(/ 1\/2 failed$/);
    expect(table).to.contain(
      `NaN-stopped runs (their numbers are those of the model when it stopped):\n  mlp/mini:32/nobn/sgd/lr10: ${NAN_STOP}`,
    );
    expect(table).to.contain('  mlp/sgd/bn/adam/lr0.001: strategy sgd trains BatchNorm on a batch of 1 sample.\n');
    const csv = summaryCsv(summary).split('\n');
    const header = csv[0].split(',');
    expect(csv[1].split(',')[header.indexOf('nan_stopped')]).to.equal('1');
  });

  it('reports epochs, updates and seconds to the target in the table and the CSV', () => {
    const reached = (epoch: number) => ({
      accuracy: 0.8,
      reached: true,
      epoch,
      seconds: epoch * 0.5,
      updates: epoch * 10,
    });
    const results = [
      run({ seed: 0, target: reached(2) }),
      run({ seed: 1, target: reached(4) }),
      run({ strategy: 'full', target: { accuracy: 0.8, reached: false, epoch: null, seconds: null, updates: null } }),
    ];
    const summary = summarize(results);
    const table = summaryTable(summary);
    const header = headerOf(table);
    expect(header.slice(-4)).to.deep.equal(['target', 'epochs to target', 'updates to target', 's to target']);
    expect(rowOf(table, 'mlp    mini:32')).to.match(/2\/2 {2,}3\.0 ± 1\.4 {2,}30\.0 ± 14\.1 {2,}1\.5 ± 0\.7$/);
    expect(rowOf(table, 'mlp    full')).to.match(/not reached {2,}- {2,}- {2,}-$/);
    const csv = summaryCsv(summary).split('\n');
    const columns = csv[0].split(',');
    const row = csv[1].split(',');
    expect(Number(row[columns.indexOf('target_epochs_mean')])).to.equal(3);
    expect(Number(row[columns.indexOf('target_updates_mean')])).to.equal(30);
    expect(Number(row[columns.indexOf('target_seconds_mean')])).to.equal(1.5);
  });

  it('shows test loss in place of accuracy for regression', () => {
    const table = summaryTable(summarize([run({ losses: [2, 1], accuracies: [null, null] })]));
    expect(headerOf(table)).to.include('test loss').and.to.not.include('test acc %');
    // Test loss is 1.1 x the last training loss in the fixture.
    expect(rowOf(table, 'mlp')).to.match(/ 1\.1000 {2,}1\.0000 /);
  });

  it('reads stopReason as a sentence or as { kind, message }', () => {
    expect(stopReasonOf(run({ stopReason: NAN_STOP }))).to.deep.equal({ kind: 'non-finite-loss', message: NAN_STOP });
    const structured = run({ stopReason: { kind: 'non-finite-loss', message: 'loss became Infinity' } });
    expect(stopReasonOf(structured)).to.deep.equal({ kind: 'non-finite-loss', message: 'loss became Infinity' });
    expect(outcomeOf(structured)).to.equal('nan');
    expect(stopReasonOf(run({ stopReason: 'early stopping: loss did not improve for 2 epochs' }))?.kind).to.equal(
      'early-stopping',
    );
    expect(outcomeOf(run({ stopReason: 'budget: 100 updates' }))).to.equal('ok');
    expect(stopReasonOf(run())).to.equal(null);
  });
});
