// `batchlab claims` as a process: its usage errors, an --out it would overwrite, and Ctrl-C.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../report/fixtures';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
const NODE_ARGS = ['--require', 'tsx/cjs', MAIN];

function batchlab(args: string[]) {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], { encoding: 'utf8', timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('batchlab claims (command line)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'claims-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses --resume without --out (exit 2)', () => {
    const r = batchlab(['claims', '--resume']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--resume needs --out <the directory to resume>/);
  });

  it('refuses an --out holding results (exit 2), states its plan and budget first, and loses nothing', () => {
    const out = join(dir, 'used');
    mkdirSync(out);
    const line = `${JSON.stringify(run())}\n`;
    writeFileSync(join(out, 'results.jsonl'), line);
    const r = batchlab(['claims', '--out', out]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(
      /^claims: sgd, mini:32, mini:256, full x BN off\/on, 2 epochs each on fashion-mnist-small \(mlp of 8 hidden layers of 64\), then the backends; budget about 5 minutes on 2 cores\n/,
    );
    expect(r.stderr).to.match(/already holds 1 runs in results\.jsonl; pass --resume/);
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8')).to.equal(line);
    expect(existsSync(join(out, 'claims.json'))).to.equal(false);
  });

  it('on Ctrl-C ends its runs, exits 130 and says how to resume', async () => {
    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, [...NODE_ARGS, 'claims', '--out', out], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (/running mlp\/sgd/.test(stderr)) resolve();
      }),
    );
    process.kill(-(child.pid as number), 'SIGINT');
    expect(await exited).to.equal(130);
    expect(stderr).to.match(/no verdicts written; resume with:\n {2}batchlab claims --resume --out \S+interrupted\n/);
    expect(existsSync(join(out, 'claims.json'))).to.equal(false);
  });
});
