// The single-node Slurm cluster of the tests (test/helpers/slurm-cluster.ts) leaves nothing behind:
// a test process that gets SIGINT or SIGTERM while the cluster runs ends by that signal, and the
// three daemons it started, and its directory, are gone. Skips only where slurm-wlm and munge are
// not installed or the tests do not run as root.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { slurmUnavailable } from '../helpers/slurm-cluster';
import { skipBecause } from '../setup';

const HELPER = join(__dirname, '..', 'helpers', 'slurm-cluster.ts');
/** A test process: starts a cluster, prints its daemons' pids and directory, then waits. */
const SCRIPT = `require(${JSON.stringify(HELPER)}).startSlurmCluster().then((c) => {
  console.log(JSON.stringify({ pids: c.pids, dir: c.dir }));
  setInterval(() => undefined, 1000);
});`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the test Slurm cluster', function () {
  this.timeout(120000);
  before(function () {
    const why = slurmUnavailable();
    if (why && !process.env.CI) skipBecause(this, why);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops the daemons it started when the test process gets ${signal}`, async () => {
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', SCRIPT], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_, s) => resolve(s)));
      const started = await new Promise<{ pids: number[]; dir: string }>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (s: string) => {
          out += s;
          if (out.includes('\n')) resolve(JSON.parse(out) as { pids: number[]; dir: string });
        });
        void exited.then(() => reject(new Error(`the cluster did not start:\n${err}`)));
      });
      expect(started.pids.map(alive)).to.deep.equal([true, true, true]);
      child.kill(signal);
      expect(await exited).to.equal(signal);
      // SIGKILL is delivered at once, but a process is gone only once its parent has reaped it.
      const until = Date.now() + 5000;
      while (started.pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(started.pids.map(alive)).to.deep.equal([false, false, false]);
      expect(existsSync(started.dir)).to.equal(false);
    });
  }
});
