// tfjs' cpu backend prints a banner advising its node backend on first use; batchlab's own output
// (doctor, train --backend cpu) must not carry it, while tfjs used directly still prints it.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
const BANNER = /looks like you are running TensorFlow\.js in Node\.js/;

function run(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120000 });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe("tfjs' node-backend banner", function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-banner-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is printed by tfjs used directly on cpu (so the pattern is the right one)', () => {
    const { status, output } = run(['-e', "const tf = require('@tensorflow/tfjs'); tf.tensor([1]).dataSync();"]);
    expect(status).to.equal(0);
    expect(output).to.match(BANNER);
  });

  it('is absent from batchlab doctor --parity', () => {
    const { status, output } = run(['--require', 'tsx/cjs', MAIN, 'doctor', '--parity']);
    expect(status, output).to.equal(0);
    expect(output).to.match(/^cpu +BN CNN: largest loss difference from stock cpu/m);
    expect(output).not.to.match(BANNER);
  });

  it('is absent from batchlab train --backend cpu', () => {
    const args = ['train', '--backend', 'cpu', '--data', 'blobs', '--limit', '200', '--epochs', '1', '--out', dir];
    const { status, output } = run(['--require', 'tsx/cjs', MAIN, ...args]);
    expect(status, output).to.equal(0);
    expect(output).to.match(/^epoch 1\/1 /m);
    expect(output).not.to.match(BANNER);
  });
});
