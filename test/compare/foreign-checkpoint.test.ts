// `batchlab compare --resume` with a checkpoint of another configuration in a run's folder (here one
// `batchlab train` wrote): refused before any training with exit status 2, naming the run and what
// differs, the checkpoint kept and no run recorded.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchlab } from '../helpers/batchlab-cli';
import { CELLS_DIR, cellDirName } from '../../src/compare/cell-dirs';

const DATA = ['--data', 'blobs', '--limit', '100', '--backend', 'wasm', '--quiet'];

describe('compare --resume and a checkpoint of another configuration', function () {
  this.timeout(120000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'batchlab-foreign-checkpoint-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses the experiment with exit 2 before training, naming the run and what differs', () => {
    const out = join(dir, 'exp');
    const experiment = ['compare', ...DATA, '--strategies', 'full', '--batch-norm', 'off', '--budget', 'epochs:2'];
    const first = batchlab(...experiment, '--out', out);
    expect(first.status, first.stderr).to.equal(0);
    const results = join(out, 'results.jsonl');
    const { id } = JSON.parse(readFileSync(results, 'utf8')) as { id: string };
    // As if the run had been interrupted: not recorded, and a checkpoint in its folder, but another run's.
    writeFileSync(results, '');
    const other = join(dir, 'other');
    const train = batchlab(
      'train',
      ...DATA,
      '--strategy',
      'full',
      '--epochs',
      '1',
      '--checkpoint-every',
      '1',
      '--out',
      other,
    );
    expect(train.status, train.stderr).to.equal(0);
    const checkpoints = join(out, CELLS_DIR, cellDirName(id), 'checkpoints');
    mkdirSync(join(checkpoints, '..'), { recursive: true });
    renameSync(join(other, 'checkpoints'), checkpoints);

    const resumed = batchlab('compare', '--resume', '--out', out);
    expect(resumed.status, resumed.stderr).to.equal(2);
    expect(resumed.stderr).to.include(
      `batchlab: resume: run ${id}: the checkpoint in ${join(checkpoints, 'epoch-000001')} is of a different run:\n`,
    );
    // train's model is named by its builder, compare's runs by their layers; compare holds out a test set.
    expect(resumed.stderr).to.match(
      /\n {2}model: mlp \[256,128\] relu, no BN in the checkpoint, layers InputLayer, Dense, .* here\n/,
    );
    expect(resumed.stderr).to.match(/\n {2}validation data: none in the checkpoint, blobs\/test: 20 samples .* here\n/);
    expect(resumed.stderr).to.not.include('running ');
    expect(readFileSync(results, 'utf8')).to.equal('');
    expect(existsSync(join(checkpoints, 'epoch-000001', 'state.json')), 'checkpoint kept').to.equal(true);
  });
});
