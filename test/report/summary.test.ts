import { expect } from 'chai';
import { summarize, summaryCsv, summaryTable } from '../../src/report/summary';
import { outcomeOf, stopReasonOf } from '../../src/report/run-status';
import { run } from './fixtures';

const NAN_STOP = 'loss became NaN at epoch 1, step 10 (update 10)';
const headerOf = (table: string): string[] => table.split('\n')[0].split(/\s{2,}/);
const rowOf = (table: string, start: string): string => table.split('\n').find((l) => l.startsWith(start)) ?? '';

describe('report/summary', () => {
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
