// `batchlab train --checkpoint-every` and `--resume` as processes: a run killed with SIGKILL in the
// middle of an epoch and resumed from its last checkpoint ends with the same losses and the same
// weights, bit for bit, as a run never interrupted; checkpoints of another run are refused (exit 2).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN, batchlab } from '../helpers/batchlab-cli';

const RUN = ['train', '--data', 'fashion-mnist-small', '--model', 'mlp', '--hidden', '32', '--batch-norm'];
const SETTINGS = [...RUN, '--dropout', '0.2', '--strategy', 'mini:8', '--epochs', '4', '--seed', '5', '--quiet'];
/** Samples per backend for epochs of a second or two: long enough to be killed in the middle of one. */
const LIMIT: Record<string, string> = { wasm: '3000', cpu: '1000' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(path: string, timeoutMs = 120000): Promise<number> {
  const start = performance.now();
  while (!existsSync(path)) {
    if (performance.now() - start > timeoutMs) throw new Error(`${path} did not appear`);
    await sleep(5);
  }
  return performance.now();
}

/** What must repeat exactly: every epoch's numbers but its seconds, and every sampled loss. */
function losses(dir: string) {
  const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as {
    epochs: { seconds: number }[];
    updates: unknown[];
    test: unknown;
  };
  return {
    epochs: history.epochs.map(({ seconds: _seconds, ...rest }) => rest),
    updates: history.updates,
    test: history.test,
  };
}

describe('batchlab train --checkpoint-every / --resume as processes', function () {
  this.timeout(300000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-train-resume-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const backend of ['wasm', 'cpu']) {
    it(`${backend}: killed (SIGKILL) in the middle of epoch 3 and resumed, it equals the uninterrupted run`, async () => {
      const args = [...SETTINGS, '--limit', LIMIT[backend], '--backend', backend];
      const whole = join(dir, 'whole');
      const wholeRun = batchlab(...args, '--out', whole);
      expect(wholeRun.status, wholeRun.stderr).to.equal(0);

      const killed = join(dir, 'killed');
      const child = spawn(
        process.execPath,
        ['--require', 'tsx/cjs', CLI_MAIN, ...args, '--out', killed, '--checkpoint-every', '1'],
        { stdio: 'ignore' },
      );
      const ended = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      const checkpoints = join(killed, 'checkpoints');
      const first = await waitFor(join(checkpoints, 'epoch-000001'));
      const second = await waitFor(join(checkpoints, 'epoch-000002'));
      // Half an epoch into epoch 3.
      await sleep((second - first) / 2);
      child.kill('SIGKILL');
      expect(await ended).to.equal('SIGKILL');
      expect(existsSync(join(checkpoints, 'epoch-000003')), 'killed before epoch 3 ended').to.equal(false);
      expect(existsSync(join(checkpoints, 'epoch-000002'))).to.equal(true);
      expect(existsSync(join(killed, 'history.json'))).to.equal(false);

      const resumed = batchlab(...args.filter((a) => a !== '--quiet'), '--resume', killed);
      expect(resumed.status, resumed.stderr).to.equal(0);
      expect(resumed.stderr).to.include(`resuming after epoch 2 from the checkpoint in ${checkpoints}`);
      expect(losses(killed)).to.deep.equal(losses(whole));
      const weights = (run: string) => readFileSync(join(run, 'model', 'weights.bin'));
      expect(weights(killed).equals(weights(whole)), 'weights.bin identical').to.equal(true);
      expect(existsSync(join(checkpoints, 'epoch-000004'))).to.equal(true);
    });
  }

  it('refuses a checkpoint of another run with exit 2, naming what differs, and other misuse of --resume', () => {
    const out = join(dir, 'run');
    const small = (options: Record<string, string> = {}): string[] =>
      Object.entries({ '--limit': '200', '--strategy': 'mini:16', '--epochs': '1', ...options }).reduce(
        (args, [flag, value]) => [...args, flag, value],
        [...RUN, '--backend', 'wasm', '--quiet'],
      );
    expect(batchlab(...small(), '--out', out, '--checkpoint-every', '1').status).to.equal(0);

    const other = batchlab(...small({ '--strategy': 'mini:32', '--epochs': '2' }), '--resume', out);
    expect(other.status).to.equal(2);
    expect(other.stderr).to.include('strategy: mini:16 (shuffled) in the checkpoint, mini:32 (shuffled) here');
    const moreData = batchlab(...small({ '--limit': '300', '--epochs': '2' }), '--resume', out);
    expect(moreData.status).to.equal(2);
    expect(moreData.stderr).to.match(/data set: .*200 samples.* in the checkpoint, .*300 samples.* here/);

    const empty = join(dir, 'empty');
    const none = batchlab(...small(), '--resume', empty);
    expect(none.status).to.equal(2);
    expect(none.stderr).to.include(`--resume ${empty}: no checkpoint in ${join(empty, 'checkpoints')}`);
    const both = batchlab(...small(), '--resume', out, '--out', empty);
    expect(both.status).to.equal(2);
    expect(both.stderr).to.include(`--resume ${out} continues the run in that directory: leave out --out ${empty}`);
    // A fresh run into the directory would mix its checkpoints with the old ones.
    rmSync(join(out, 'history.json'));
    rmSync(join(out, 'model'), { recursive: true });
    const fresh = batchlab(...small(), '--out', out, '--checkpoint-every', '1');
    expect(fresh.status).to.equal(2);
    expect(fresh.stderr).to.match(/already holds a run \(checkpoints\); pass --overwrite/);
  });
});
