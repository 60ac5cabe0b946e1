// `batchlab compare` as a process: real signals (Ctrl-C to the process group, SIGTERM to the parent),
// exit statuses, resuming from the directory's spec.json, and the help's defaults.
import { expect } from 'chai';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resumeCommand } from '../../src/compare/interrupt';
import { describeOutcome, outcomeOf } from '../../src/compare/outcome';
import type { RunResult } from '../../src/experiment/result';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
const NODE_ARGS = ['--require', 'tsx/cjs', MAIN];
/** Cells long enough (thousands of SGD updates) to be interrupted mid-run. */
const LONG = ['--data', 'blobs', '--limit', '200', '--batch-norm', 'off', '--checkpoints', '0', '--backend', 'wasm'];

function batchlab(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], { encoding: 'utf8', timeout: 120000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts batchlab in a process group of its own, as a shell starts a job, so the group can be signalled. */
function startBatchlab(args: string[]) {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const w of waiters.filter((w) => w.pattern.test(stderr))) w.resolve();
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child: child as ChildProcess,
    stderr: () => stderr,
    exited,
    /** Resolves once stderr matches `pattern`. */
    waitFor: (pattern: RegExp) =>
      new Promise<void>((resolve) => (pattern.test(stderr) ? resolve() : waiters.push({ pattern, resolve }))),
  };
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const workerPids = (stderr: string): number[] => [...stderr.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));

describe('batchlab compare as a process', function () {
  this.timeout(180000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-compare-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses --target on a regression data set before any run, writing nothing', () => {
    const out = join(dir, 'regression');
    const run = batchlab(['compare', '--data', 'linear', '--limit', '100', '--target', '0.9', '--out', out]);
    expect(run.stderr).to.match(/--target 0\.9: linear is a regression data set: it has no accuracy/);
    expect(run.stderr).not.to.match(/running /);
    expect(run.status).to.equal(2);
    expect(existsSync(out)).to.equal(false);
  });

  it('Ctrl-C ends every worker, exits 130 and prints the command that resumes, which finishes the experiment', async () => {
    const out = join(dir, 'exp');
    const run = startBatchlab([
      'compare',
      ...LONG,
      '--strategies',
      'sgd',
      '--seeds',
      '2',
      '--budget',
      'epochs:4',
      '--jobs',
      '2',
      '--out',
      out,
    ]);
    await run.waitFor(/running \S+ on worker \d+ \(pid \d+\)[^]*running \S+ on worker \d+ \(pid \d+\)/);
    process.kill(-(run.child.pid as number), 'SIGINT');
    expect(await run.exited).to.equal(130);
    const stderr = run.stderr();
    const pids = workerPids(stderr);
    expect(pids).to.have.length(2);
    expect(pids.filter(isRunning)).to.deep.equal([]);
    const resume = /resume with:\n {2}(batchlab compare --resume --out (\S+) --jobs 2)\n/.exec(stderr);
    expect(resume, stderr).to.not.equal(null);
    expect(resume?.[2]).to.equal(out);
    // Both runs were in flight when the signal was sent; one might have ended before it landed.
    expect(stderr).to.match(/[01] of 2 runs are finished in \S+results\.jsonl/);
    const resumed = batchlab(['compare', '--resume', '--out', out, '--jobs', '2']);
    expect(resumed.status, resumed.stderr).to.equal(0);
    const lines = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as RunResult).status)).to.deep.equal(['ok', 'ok']);
  });

  it('SIGTERM stops a run in this process mid-way and exits 143 without recording it', async () => {
    const out = join(dir, 'exp');
    const run = startBatchlab(['compare', ...LONG, '--strategies', 'sgd', '--budget', 'epochs:20', '--out', out]);
    await run.waitFor(/epoch 1\/20 /);
    process.kill(run.child.pid as number, 'SIGTERM');
    expect(await run.exited).to.equal(143);
    expect(run.stderr()).to.not.match(/epoch 20\/20 /);
    expect(run.stderr()).to.match(/resume with:\n {2}batchlab compare --resume --out \S+\n$/);
    const results = join(out, 'results.jsonl');
    expect(existsSync(results) ? readFileSync(results, 'utf8') : '').to.equal('');
  });

  it('exits 1 naming the cause when a worker is killed on a cell, with no channel errors', () => {
    const cell = 'mlp/mini:100/nobn/adam/lr0.001/seed0';
    const env = { ...process.env, BATCHLAB_TEST_WORKER_FAULT: `${cell}=SIGKILL` };
    const args = ['compare', ...LONG, '--strategies', 'mini:50,mini:100', '--budget', 'epochs:1', '--jobs', '2'];
    const r = batchlab([...args, '--out', join(dir, 'exp')], env);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(new RegExp(`worker \\d \\(pid \\d+\\) was killed by SIGKILL while running ${cell}`));
    expect(r.stderr).to.match(/batchlab: of 2 runs, 1 failed; see \S+results\.jsonl/);
    expect(r.stderr).to.not.match(/IPC|EPIPE/);
    expect(r.stdout).to.match(/mini:50/);
    expect(workerPids(r.stderr).filter(isRunning)).to.deep.equal([]);
  });

  it('resumes from the directory spec.json alone, and names each flag that differs from it', () => {
    const out = join(dir, 'exp');
    const first = batchlab(['compare', ...LONG, '--strategies', 'mini:100', '--budget', 'epochs:1', '--out', out]);
    expect(first.status, first.stderr).to.equal(0);
    const again = batchlab(['compare', '--resume', '--out', out]);
    expect(again.status, again.stderr).to.equal(0);
    expect(again.stderr).to.match(/1 runs \(1 already done\)/);
    const other = batchlab(['compare', '--resume', '--out', out, '--seeds', '2', '--budget', 'epochs:3']);
    expect(other.status).to.equal(2);
    expect(other.stderr).to.match(/--resume: \S+spec\.json describes a different experiment/);
    expect(other.stderr).to.match(/--seeds: 1 in spec\.json, 2 here/);
    expect(other.stderr).to.match(/--budget: epochs:1 in spec\.json, epochs:3 here/);
    expect(existsSync(join(out, 'report.html'))).to.equal(true);
  });

  it("shows the spec's own defaults in --help", () => {
    const r = batchlab(['compare', '--help']);
    expect(r.stdout).to.match(/\[default: epochs:2\]/);
    expect(r.stdout).to.match(/\[default:\s+full,sgd,mini:32,mini:128\]/);
    expect(r.stdout).to.not.match(/epochs:3/);
  });
});

describe('compare outcome', () => {
  const run = (id: string, status: 'ok' | 'failed', stopReason: string | null = null) =>
    ({ id, status, history: status === 'ok' ? { stopReason } : undefined }) as RunResult;

  it('counts failed runs and runs stopped before their budget; a spent budget is a finished run', () => {
    const outcome = outcomeOf([
      run('a', 'ok'),
      run('b', 'failed'),
      run('c', 'ok', 'loss became NaN at epoch 1, step 3 (update 3)'),
      run('d', 'ok', 'budget: 10 updates'),
    ]);
    expect(outcome).to.deep.equal({ runs: 4, failed: ['b'], stoppedEarly: ['c'] });
    expect(describeOutcome(outcome)).to.equal('of 4 runs, 1 failed and 1 stopped before the end of its budget');
    expect(describeOutcome(outcomeOf([run('a', 'ok'), run('d', 'ok', 'budget: 2 seconds')]))).to.equal(null);
  });
});

describe('resumeCommand', () => {
  it('quotes a directory the shell would split, and keeps the options of the run', () => {
    expect(resumeCommand('runs/a b', { jobs: 2, tensorboard: true })).to.equal(
      "batchlab compare --resume --out 'runs/a b' --jobs 2 --tensorboard",
    );
    expect(resumeCommand("/tmp/it's", { jobs: 1 })).to.equal("batchlab compare --resume --out '/tmp/it'\\''s'");
  });
});
