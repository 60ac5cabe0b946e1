import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchlab } from '../helpers/batchlab-cli';

describe('batchlab --bn-accumulation(s)', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-bn-accumulation-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('train --bn-accumulation exact names the mode in its log and history.json', () => {
    const out = join(dir, 'exact');
    const { status, stderr } = batchlab(
      ...['train', '--data', 'blobs', '--model', 'mlp', '--hidden', '8', '--batch-norm'],
      ...['--strategy', 'mini:100', '--micro-batch', '25', '--bn-accumulation', 'exact'],
      ...['--epochs', '1', '--backend', 'wasm', '--out', out],
    );
    expect(status, stderr).to.equal(0);
    expect(stderr).to.match(
      /micro-batches of 25 with BatchNorm, bnAccumulation exact \(BN over the whole batch\): every chunk is normalised with the whole batch's statistics/,
    );
    expect(stderr).to.not.match(/bnAccumulation chunk/);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect([history.strategy, history.bnAccumulation]).to.deep.equal(['mini:100/micro:25', 'exact']);
  });

  it('compare --plan lists a cell per mode', () => {
    const out = join(dir, 'plan');
    const { status, stderr } = batchlab(
      ...['compare', '--data', 'blobs', '--strategies', 'mini:100/micro:25', '--batch-norm', 'both'],
      ...['--bn-accumulations', 'chunk,exact', '--plan', '--out', out],
    );
    expect(status, stderr).to.equal(0);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
    expect(plan.cells.map((c: { id: string; bnAccumulation?: string }) => [c.id, c.bnAccumulation])).to.deep.equal([
      ['mlp/mini:100/micro:25/nobn/adam/lr0.001/seed0', undefined],
      ['mlp/mini:100/micro:25/bn-chunk/adam/lr0.001/seed0', 'chunk'],
      ['mlp/mini:100/micro:25/bn-exact/adam/lr0.001/seed0', 'exact'],
    ]);
  });

  const refusals: [string[], string][] = [
    [['--bn-accumulations', 'chunk,whole'], '--bn-accumulations: bnAccumulation must be chunk or exact, got whole'],
    [['--bn-accumulations', 'exact,exact'], '--bn-accumulations: each mode once, got exact,exact'],
    [
      ['--bn-accumulation', 'exact', '--bn-accumulations', 'chunk,exact'],
      '--bn-accumulation and --bn-accumulations exclude each other',
    ],
  ];
  for (const [args, message] of refusals) {
    it(`compare ${args.join(' ')}: exit 2, ${message}`, () => {
      const { status, stderr } = batchlab('compare', '--data', 'blobs', ...args, '--out', join(dir, 'refused'));
      expect(stderr).to.include(message);
      expect(status).to.equal(2);
    });
  }
});
