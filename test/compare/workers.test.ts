// compare --jobs with real worker processes that die: killed from outside (SIGKILL), crashing at a
// cell (BATCHLAB_TEST_WORKER_FAULT), failing to start, and the whole experiment aborted. Each case
// checks what is recorded, what is reported, and that no worker process is left running.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare } from '../../src/compare/compare';
import { CompareInterrupted } from '../../src/compare/outcome';
import type { ExperimentSpecInput } from '../../src/experiment/spec';

const small: ExperimentSpecInput = {
  data: 'blobs',
  limit: 200,
  strategies: ['mini:50', 'mini:100'],
  batchNorm: 'off',
  seeds: 2,
  budget: 'epochs:2',
  checkpoints: 1,
  backend: 'wasm',
};
const FIRST = 'mlp/mini:50/nobn/adam/lr0.001/seed0';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Child processes of this process, from ps. */
function children(): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([pid, command]) => Number(pid) > 0 && command !== 'ps')
      .map(([pid]) => Number(pid));
  } catch {
    return []; // ps exits 1 when it lists nothing
  }
}

/** Collects log lines and the pids of the workers they name. */
function logger() {
  const lines: string[] = [];
  const pids = new Set<number>();
  const log = (line: string): void => {
    lines.push(line);
    for (const m of line.matchAll(/\(pid (\d+)\)/g)) pids.add(Number(m[1]));
  };
  return { lines, pids, log };
}

describe('compare --jobs when workers die', function () {
  this.timeout(180000);
  let dir: string;
  const before = children();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-workers-'));
  });
  afterEach(() => {
    delete process.env.BATCHLAB_TEST_WORKER_FAULT;
    rmSync(dir, { recursive: true, force: true });
  });

  const noWorkerLeft = (pids: Set<number>): void => {
    expect(pids.size).to.be.greaterThan(0);
    expect([...pids].filter(isRunning)).to.deep.equal([]);
    expect(children().filter((pid) => !before.includes(pid))).to.deep.equal([]);
  };

  it('reports a worker killed by SIGKILL mid-run, runs its cell again on a fresh worker, and finishes every cell', async () => {
    const { lines, pids, log } = logger();
    let killed = 0;
    const result = await compare(small, {
      outDir: dir,
      report: false,
      jobs: 2,
      log: (line) => {
        log(line);
        const running = /^running (\S+) on worker \d+ \(pid (\d+)\)$/.exec(line);
        if (running && killed === 0) {
          killed = Number(running[2]);
          process.kill(killed, 'SIGKILL');
        }
      },
    });
    expect(result.results.map((r) => r.status)).to.deep.equal(['ok', 'ok', 'ok', 'ok']);
    const lost = new RegExp(
      `^worker [12] \\(pid ${killed}\\) was killed by SIGKILL while running (\\S+); running \\1 again on a fresh worker$`,
    );
    expect(lines.filter((l) => lost.test(l))).to.have.length(1);
    expect(lines.some((l) => /^running \S+ on worker 3 \(pid \d+\)$/.test(l))).to.equal(true);
    noWorkerLeft(pids);
  });

  it('records a cell whose worker dies on it twice as failed, with the cause, and runs the others', async () => {
    process.env.BATCHLAB_TEST_WORKER_FAULT = `${FIRST}=exit:3`;
    const { lines, pids, log } = logger();
    const result = await compare(small, { outDir: dir, report: false, jobs: 2, log });
    expect(result.results.map((r) => r.status)).to.deep.equal(['failed', 'ok', 'ok', 'ok']);
    expect(result.results[0].error).to.match(
      new RegExp(`^worker \\d+ \\(pid \\d+\\) exited with code 3 while running ${FIRST}$`),
    );
    expect(lines.filter((l) => /^worker .* exited with code 3/.test(l))).to.have.length(2);
    expect(lines.some((l) => l.endsWith(`recording ${FIRST} as failed`))).to.equal(true);
    noWorkerLeft(pids);
  });

  it('goes on with the workers that started when one fails to start', async () => {
    process.env.BATCHLAB_TEST_WORKER_FAULT = `start=exit:5=${join(dir, 'once')}`;
    const { lines, pids, log } = logger();
    const result = await compare(small, { outDir: dir, report: false, jobs: 2, log });
    expect(result.results.map((r) => r.status)).to.deep.equal(['ok', 'ok', 'ok', 'ok']);
    const failed = lines.filter((l) => / exited with code 5 while starting$/.test(l));
    expect(failed).to.have.length(1);
    const pid = Number(readFileSync(join(dir, 'once'), 'utf8'));
    expect(failed[0]).to.match(new RegExp(`^worker [12] \\(pid ${pid}\\) exited with code 5 while starting$`));
    pids.add(pid);
    noWorkerLeft(pids);
  });

  it('fails, ending the workers that did start, when no worker can start', async () => {
    process.env.BATCHLAB_TEST_WORKER_FAULT = 'start=exit:5';
    const { pids, log } = logger();
    const error = await compare(small, { outDir: dir, report: false, jobs: 2, log }).catch((e: Error) => e);
    expect((error as Error).message).to.match(
      /^no worker is left to run the 4 remaining cells; the last one: worker [12] \(pid \d+\) exited with code 5 while starting$/,
    );
    noWorkerLeft(pids);
  });

  for (const jobs of [1, 2]) {
    it(`stops every run on abort with --jobs ${jobs}, keeping finished runs for resume`, async () => {
      const controller = new AbortController();
      const { pids, log } = logger();
      const error = await compare(small, {
        outDir: dir,
        report: false,
        jobs,
        signal: controller.signal,
        log: (line) => {
          log(line);
          if (line.startsWith('[1/4]')) controller.abort();
        },
      }).catch((e: Error) => e);
      expect(error).to.be.instanceOf(CompareInterrupted);
      const interrupted = error as CompareInterrupted;
      expect(interrupted.total).to.equal(4);
      expect(interrupted.finished).to.be.within(1, 3);
      const lines = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n');
      expect(lines).to.have.length(interrupted.finished);
      if (jobs > 1) noWorkerLeft(pids);
      const resumed = await compare(small, { outDir: dir, report: false, resume: true, jobs });
      expect(resumed.ran).to.equal(4 - interrupted.finished);
      expect(resumed.results.map((r) => r.status)).to.deep.equal(['ok', 'ok', 'ok', 'ok']);
    });
  }
});
