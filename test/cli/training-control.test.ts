// Learning-rate schedules, gradient clipping and the range test through the real commands: what
// they write, and what they refuse (exit 2, naming the flag and the value, writing nothing).
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchlab } from '../helpers/batchlab-cli';

describe('batchlab train, compare and lr-find: schedules, clipping, range test', function () {
  this.timeout(180000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-control-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const quick = ['--data', 'blobs', '--limit', '200', '--hidden', '8', '--backend', 'wasm', '--quiet'];

  it('train records the rate of each update (peak x closed form) and the norm before clipping', () => {
    const out = join(dir, 'train');
    // mini:50 on 200 samples: 4 updates an epoch, 2 epochs; a 2-update warm-up, then a cosine over 6.
    const args = ['--strategy', 'mini:50', '--epochs', '2', '--lr', '0.01', '--optimizer', 'momentum'];
    const control = ['--lr-schedule', 'warmup:2+cosine', '--clip-norm', '0.5'];
    const { status, stderr } = batchlab('train', ...quick, ...args, ...control, '--out', out);
    expect(status, stderr).to.equal(0);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.lrSchedule).to.equal('warmup:2+cosine');
    expect(history.clipNorm).to.equal(0.5);
    const cos = (t: number) => (1 + Math.cos((Math.PI * t) / 6)) / 2;
    const expected = [0, 0.5, cos(0), cos(1), cos(2), cos(3), cos(4), cos(5)].map((f) => 0.01 * f);
    const updates: { learningRate: number; gradNorm: number }[] = history.updates;
    expect(updates).to.have.length(8);
    updates.forEach((u, i) => expect(u.learningRate).to.be.closeTo(expected[i], 1e-15));
    updates.forEach((u) => expect(u.gradNorm).to.be.a('number').and.above(0));
  });

  const refused: [string[], RegExp][] = [
    [['train', '--lr-schedule', 'cosin'], /--lr-schedule: lr schedule "cosin": unknown schedule cosin; expected/],
    [
      ['train', '--lr-schedule', 'step:every=2ep'],
      /--lr-schedule: lr schedule "step:every=2ep": step needs every=<d> and factor=<f>/,
    ],
    [
      ['train', ...quick, '--strategy', 'full', '--epochs', '2', '--lr-schedule', 'onecycle'],
      /--lr-schedule onecycle: oneCycle: a run of 2 updates is too short for pct=0.3 .*\(2 epochs of 1 update\)/,
    ],
    [
      ['train', ...quick, '--strategy', 'full', '--epochs', '2', '--lr-schedule', 'step:every=2,factor=0.5'],
      /--lr-schedule step:every=2,factor=0.5: its first step, after 2 updates, does not come within the 2 updates it has \(2 epochs of 1 update\)/,
    ],
    [['train', '--clip-norm', '0'], /--clip-norm must be a positive number, got 0/],
    [['train', '--clip-value', 'big'], /--clip-value must be a positive number, got big/],
    [
      ['compare', '--lr-schedules', 'constant,cosin'],
      /--lr-schedules\[1\]: lr schedule "cosin": unknown schedule cosin/,
    ],
    [
      ['compare', '--lr-schedules', 'cosine:min=0.1,onecycle', '--budget', 'seconds:5'],
      /--lr-schedules\[0\]: cosine:min=0.1 stretches over the run, which a seconds budget leaves without a length/,
    ],
    [['compare', '--clip-value', '-1'], /--clip-value must be a positive number, got -1/],
    [['lr-find', '--max-lr', '1e-8'], /--max-lr 1e-8 must exceed --min-lr 1e-7/],
    [['lr-find', '--updates', '1'], /--updates must be at least 2, got 1/],
    [['lr-find', '--divergence', '0.5'], /--divergence must be above 1, got 0.5/],
  ];
  for (const [args, pattern] of refused) {
    it(`exits 2 naming the flag and value, writing nothing, for: ${args.join(' ')}`, () => {
      const out = join(dir, `refused-${args.join('-').replace(/[^a-z0-9]+/gi, '_')}`);
      const { status, stderr } = batchlab(...args, '--out', out);
      expect(stderr).to.match(pattern);
      expect(status, stderr).to.equal(2);
      expect(existsSync(out)).to.equal(false);
    });
  }

  it('lr-find prints a suggested rate with its rule, writes the plot and the points, and keeps an earlier test', () => {
    const out = join(dir, 'lr-find');
    const args = ['lr-find', ...quick, '--strategy', 'mini:20', '--updates', '30', '--max-lr', '1000', '--out', out];
    const { status, stdout, stderr } = batchlab(...args);
    expect(status, stderr).to.equal(0);
    expect(stdout).to.match(
      /^suggested learning rate: [0-9.e-]+\n {2}rule: one tenth of the rate with the lowest smoothed loss \(/,
    );
    expect(stdout).to.match(/stopped after \d+ of 30 updates: |ran all 30 updates/);
    for (const file of ['lr-find.svg', 'lr-find.png', 'lr-find.json'])
      expect(existsSync(join(out, file)), file).to.equal(true);
    const record = JSON.parse(readFileSync(join(out, 'lr-find.json'), 'utf8'));
    expect(record.points[0].learningRate).to.equal(1e-7);
    expect(record.points.length).to.be.within(2, 30);
    expect(readFileSync(join(out, 'lr-find.svg'), 'utf8')).to.include('suggested rate');
    const again = batchlab(...args);
    expect(again.status).to.equal(2);
    expect(again.stderr).to.match(/already holds a range test \(lr-find\.json\); pass --overwrite/);
    expect(readFileSync(join(out, 'lr-find.json'), 'utf8')).to.equal(JSON.stringify(record, null, 2) + '\n');
  });

  it('compare crosses --lr-schedules with the strategies; under --lr-rule linear the warm-up starts at the unscaled rate', () => {
    const out = join(dir, 'compare');
    mkdirSync(dir, { recursive: true });
    const spec = join(dir, 'schedules.yaml');
    writeFileSync(spec, 'lrSchedules: [constant, "warmup:1ep+cosine"]\nclipNorm: 5\n');
    const { status, stdout, stderr } = batchlab(
      'compare',
      ...['--data', 'blobs', '--limit', '200', '--backend', 'wasm', '--quiet'],
      '--spec',
      spec,
      '--strategies',
      'mini:50,mini:100',
      '--batch-norm',
      'off',
      '--optimizers',
      'sgd',
      '--lr',
      '0.05',
      '--lr-rule',
      'linear:50',
      '--budget',
      'epochs:2',
      '--checkpoints',
      '0',
      '--out',
      out,
    );
    expect(status, stderr).to.equal(0);
    expect(stdout).to.match(/lr schedule/);
    expect(stdout).to.match(/^mlp +mini:100 +off +0\.1 +warmup:1ep\+cosine /m);
    const results = readFileSync(join(out, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const warm = results.find((r) => r.id === 'mlp/mini:100/nobn/sgd/lr0.05/warmup:1ep+cosine/seed0');
    // mini:100 on 200 samples: k = 2, warm-up over 2 updates from 0.05 to the peak 0.1, then a cosine over 2.
    expect(warm.history.lrSchedule).to.equal('warmup:1ep,from=0.5+cosine');
    expect(warm.history.clipNorm).to.equal(5);
    const rates = warm.history.updates.map((u: { learningRate: number }) => u.learningRate);
    [0.05, 0.075, 0.1, 0.05].forEach((r, i) => expect(rates[i]).to.be.closeTo(r, 1e-15));
    expect(existsSync(join(out, 'plots', 'lr-vs-updates.svg'))).to.equal(true);
    expect(existsSync(join(out, 'plots', 'grad-norm-vs-updates.svg'))).to.equal(true);
  });
});
