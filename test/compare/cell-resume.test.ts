// `batchlab compare --checkpoint-every` as a process: Ctrl-C in the middle of a run, then --resume
// re-enters that run from its last checkpoint (its earlier epochs are not trained again) and records
// the same numbers as an experiment never interrupted.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN } from '../helpers/batchlab-cli';
import type { RunResult } from '../../src/experiment/result';

const CELL = 'mlp/mini:8/bn/adam/lr0.001/seed0';
const CELL_DIR = join('cells', 'mlp_mini-8_bn_adam_lr0.001_seed0');
const EXPERIMENT = [
  'compare',
  ...['--data', 'fashion-mnist-small', '--limit', '2000', '--strategies', 'mini:8', '--batch-norm', 'on'],
  ...['--budget', 'epochs:4', '--checkpoints', '2', '--backend', 'wasm', '--quiet'],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(path: string): Promise<number> {
  const start = performance.now();
  while (!existsSync(path)) {
    if (performance.now() - start > 120000) throw new Error(`${path} did not appear`);
    await sleep(5);
  }
  return performance.now();
}

function batchlab(args: string[]) {
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', CLI_MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

function onlyResult(out: string): RunResult {
  const lines = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
  expect(lines).to.have.length(1);
  return JSON.parse(lines[0]) as RunResult;
}

/** What must repeat exactly: losses and accuracies per epoch and per sampled update, and the probes. */
function numbers(result: RunResult) {
  expect(result.status, result.error).to.equal('ok');
  return {
    epochs: result.history?.epochs.map(({ seconds: _seconds, ...rest }) => rest),
    updates: result.history?.updates,
    probes: result.checkpoints,
  };
}

describe('compare --checkpoint-every and --resume, with a real interrupt', function () {
  this.timeout(300000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-cell-resume-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses, without --resume, a directory holding checkpoints of interrupted runs', () => {
    const out = join(dir, 'exp');
    mkdirSync(join(out, CELL_DIR, 'checkpoints'), { recursive: true });
    const fresh = batchlab([...EXPERIMENT, '--out', out]);
    expect(fresh.status).to.equal(2);
    expect(fresh.stderr).to.include(`${out} holds checkpoints of interrupted runs in cells/; pass --resume`);
  });

  it('re-enters the interrupted run from its last checkpoint and records what an uninterrupted one does', async () => {
    const whole = join(dir, 'whole');
    const first = batchlab([...EXPERIMENT, '--out', whole]);
    expect(first.status, first.stderr).to.equal(0);

    const out = join(dir, 'cut');
    // Its own process group, as a shell starts a job, so that Ctrl-C reaches it as it would from a terminal.
    const args = ['--require', 'tsx/cjs', CLI_MAIN, ...EXPERIMENT, '--out', out, '--checkpoint-every', '1'];
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const checkpoints = join(out, CELL_DIR, 'checkpoints');
    const one = await waitFor(join(checkpoints, 'epoch-000001'));
    const two = await waitFor(join(checkpoints, 'epoch-000002'));
    await sleep((two - one) / 2);
    process.kill(-(child.pid as number), 'SIGINT');
    expect(await exited).to.equal(130);
    expect(stderr).to.match(/resume with:\n {2}batchlab compare --resume --out \S+ --checkpoint-every 1 --quiet\n$/);
    const results = join(out, 'results.jsonl');
    expect(existsSync(results) ? readFileSync(results, 'utf8') : '').to.equal('');
    const saved = readdirSync(checkpoints);
    expect(saved).to.have.length(1);
    const epoch = Number(saved[0].replace('epoch-', ''));
    expect(epoch).to.be.within(2, 3);
    const state = JSON.parse(readFileSync(join(checkpoints, saved[0], 'state.json'), 'utf8')) as {
      state: { history: { epochs: { seconds: number }[] } };
    };

    // Resumed in a worker process (--jobs 2 starts one for the one run left): the checkpoint travels by its path.
    const again = batchlab(['compare', '--resume', '--out', out, '--jobs', '2']);
    expect(again.status, again.stderr).to.equal(0);
    expect(again.stderr).to.match(
      new RegExp(`running ${CELL} on worker 1 \\(pid \\d+\\), resuming after epoch ${epoch} from its checkpoint`),
    );
    const resumed = onlyResult(out);
    expect(numbers(resumed)).to.deep.equal(numbers(onlyResult(whole)));
    expect(resumed.checkpoints?.map((p) => p.epoch)).to.deep.equal([0, 2, 4]);
    // The epochs before the checkpoint were restored, not trained again: their seconds are those measured then.
    const seconds = resumed.history?.epochs.map((e) => e.seconds).slice(0, epoch);
    expect(seconds).to.deep.equal(state.state.history.epochs.map((e) => e.seconds));
    expect(existsSync(join(out, CELL_DIR)), 'the recorded run leaves no checkpoint behind').to.equal(false);
  });
});
