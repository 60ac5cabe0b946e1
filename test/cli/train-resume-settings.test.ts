// `batchlab train --resume` with another learning-rate schedule, other clipping or another BatchNorm
// variant than the checkpoint's: refused with exit status 2, naming the setting and both values, the
// checkpoint left as it was; with the same settings it resumes.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchlab } from '../helpers/batchlab-cli';

const RUN = ['train', '--data', 'fashion-mnist-small', '--limit', '200', '--model', 'mlp', '--hidden', '16'];
// 200 samples in batches of 50: 4 updates an epoch.
const SETTINGS = [...RUN, '--batch-norm', '--strategy', 'mini:50', '--backend', 'wasm', '--quiet'];
const CONTROL = ['--lr-schedule', 'warmup:2+cosine', '--clip-norm', '1'];

describe('batchlab train --resume and the run settings', function () {
  this.timeout(300000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-train-resume-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses another schedule, clipping or BatchNorm variant with exit 2, and resumes with the same', () => {
    const out = join(dir, 'run');
    const first = batchlab(...SETTINGS, ...CONTROL, '--epochs', '2', '--out', out, '--checkpoint-every', '1');
    expect(first.status, first.stderr).to.equal(0);
    const checkpoints = join(out, 'checkpoints');
    const saved = readdirSync(checkpoints);
    const state = readFileSync(join(checkpoints, saved[0], 'state.json'), 'utf8');
    const refused = (...args: string[]): string => {
      const r = batchlab(...args, '--epochs', '3', '--resume', out);
      expect(r.status, r.stderr).to.equal(2);
      expect(readFileSync(join(checkpoints, saved[0], 'state.json'), 'utf8'), 'checkpoint untouched').to.equal(state);
      return r.stderr;
    };
    const schedule = 'warmup:2+cosine, peak 0.001';
    // The schedule spans the run: three epochs instead of two change it too.
    expect(refused(...SETTINGS, '--lr-schedule', 'warmup:2+step:every=2,factor=0.5', '--clip-norm', '1')).to.include(
      `learning-rate schedule: ${schedule}, spanning 8 updates in the checkpoint, warmup:2+step:every=2,factor=0.5, peak 0.001 here`,
    );
    expect(refused(...SETTINGS, '--lr-schedule', 'warmup:2+cosine', '--clip-value', '0.5')).to.include(
      'gradient clipping: clipNorm 1 in the checkpoint, clipValue 0.5 here',
    );
    expect(refused(...SETTINGS, ...CONTROL, '--ghost-batch', '10')).to.include(
      'BatchNorm: hidden layer 1: BN, momentum 0.9, epsilon 0.001, biased moving variance in the checkpoint, ' +
        'hidden layer 1: ghost BN (groups of 10), momentum 0.9, epsilon 0.001, biased moving variance here',
    );
    expect(refused(...SETTINGS, ...CONTROL, '--bn-convention', 'pytorch')).to.include(
      'epsilon 0.001, biased moving variance in the checkpoint, hidden layer 1: BN, momentum 0.9, epsilon 0.00001, unbiased moving variance here',
    );

    const again = batchlab(...SETTINGS, ...CONTROL, '--epochs', '2', '--resume', out);
    expect(again.status, again.stderr).to.equal(0);
  });
});
