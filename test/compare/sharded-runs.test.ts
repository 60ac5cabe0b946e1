// One 4-cell experiment run three ways: locally in one process (the reference), as a Kubernetes
// Indexed Job's shards (the generated pods' commands run here as separate processes with
// JOB_COMPLETION_INDEX set, then the merge Job's), and on a single-node Slurm cluster as a 2-task
// job array plus the merge job. Each merged directory must hold the reference's numbers. The Slurm
// part skips only where slurm-wlm and munge are not installed (CI installs them).
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runBatchlab } from '../helpers/batchlab-cli';
import { readJsonLines, summaryWithoutTimings, withoutTimings } from '../helpers/same-numbers';
import { SlurmCluster, slurmUnavailable, startSlurmCluster } from '../helpers/slurm-cluster';
import { skipBecause } from '../setup';

const ROOT = join(__dirname, '..', '..');
/** 4 cells: full and mini:32, BN off and on, one epoch on 300 samples. */
const SPEC = [
  'name: sharded test',
  'limit: 300',
  'budget: epochs:1',
  'strategies: [full, "mini:32"]',
  'batchNorm: both',
  'checkpoints: 1',
  'backend: wasm',
  '',
].join('\n');

/** batchlab from source, asynchronously (shards run at once), from the repository root. */
const batchlab = (args: string[], env: NodeJS.ProcessEnv = process.env) => runBatchlab(args, env, ROOT);

function expectSameNumbers(merged: string, local: string): void {
  const a = readJsonLines(join(merged, 'results.jsonl'));
  const b = readJsonLines(join(local, 'results.jsonl'));
  expect(a.map((r) => r.id)).to.deep.equal(b.map((r) => r.id));
  expect(a).to.have.length(4);
  a.forEach((r, i) => expect(withoutTimings(r), r.id).to.deep.equal(withoutTimings(b[i])));
  expect(summaryWithoutTimings(join(merged, 'summary.csv'))).to.deep.equal(
    summaryWithoutTimings(join(local, 'summary.csv')),
  );
  expect(readdirSync(join(merged, 'plots')).sort()).to.deep.equal(readdirSync(join(local, 'plots')).sort());
  expect(existsSync(join(merged, 'report.html'))).to.equal(true);
}

describe('sharded runs equal a local run', function () {
  this.timeout(600000);
  let dir: string;
  let specPath: string;
  let local: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-sharded-'));
    specPath = join(dir, 'exp.yaml');
    writeFileSync(specPath, SPEC);
    local = join(dir, 'local');
    const run = await batchlab(['compare', '--spec', specPath, '--out', local, '--quiet']);
    expect(run.status, run.stderr).to.equal(0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("Kubernetes: the Indexed Job's pods as processes with JOB_COMPLETION_INDEX, then the merge Job", async () => {
    const manifests = join(dir, 'k8s');
    const made = await batchlab([
      'submit',
      'k8s',
      '--spec',
      specPath,
      '--image',
      'batchlab:1',
      '--volume',
      'results-claim',
      '--shards',
      '2',
      '--manifests',
      manifests,
    ]);
    expect(made.status, made.stderr).to.equal(0);
    type Obj = { kind: string; data?: Record<string, string>; spec: PodJob };
    type Container = { command: string[]; env?: { name: string; value: string }[] };
    type PodJob = { completions?: number; template: { spec: { containers: Container[] } } };
    const read = (file: string): Obj[] =>
      parseAllDocuments(readFileSync(join(manifests, file), 'utf8')).map((d) => d.toJS() as Obj);
    const [configMap, shardsJob] = read('shards.yaml');
    const [mergeJob] = read('merge.yaml');
    // The pods' file system here: the claim at /results, the ConfigMap at /etc/batchlab.
    const results = join(dir, 'volume');
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc', 'spec.json'), configMap.data?.['spec.json'] ?? '');
    const here = (command: string[]): string[] =>
      command.slice(1).map((w) => w.replace(/^\/results/, results).replace(/^\/etc\/batchlab/, join(dir, 'etc')));
    expect(shardsJob.spec.completions).to.equal(2);
    const container = shardsJob.spec.template.spec.containers[0];
    expect(container.command[0]).to.equal('batchlab');
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    const shards = await Promise.all(
      [0, 1].map((index) =>
        batchlab(here(container.command), { ...process.env, ...env, JOB_COMPLETION_INDEX: String(index) }),
      ),
    );
    shards.forEach((s, i) => {
      expect(s.status, s.stderr).to.equal(0);
      expect(s.stderr).to.match(new RegExp(`shard ${i}/2: 2 of 4 runs`));
    });
    const merged = await batchlab(here(mergeJob.spec.template.spec.containers[0].command));
    expect(merged.status, merged.stderr).to.equal(0);
    expect(merged.stdout).to.match(/merged 4 of 4 cells from 2 shard files/);
    expectSameNumbers(join(results, 'sharded-test'), local);
  });

  describe('on a single-node Slurm cluster', () => {
    let cluster: SlurmCluster | null = null;
    before(async function () {
      const why = slurmUnavailable();
      if (why && !process.env.CI) skipBecause(this, why);
      cluster = await startSlurmCluster();
    });
    after(async () => cluster?.stop());

    it("submits a 2-task array and a merge job after it; the merged numbers are the local run's", async () => {
      const c = cluster as SlurmCluster;
      const out = join(dir, 'slurm-exp');
      const args = [
        'submit',
        'slurm',
        '--spec',
        specPath,
        '--out',
        out,
        '--shards',
        '2',
        '--max-parallel',
        '2',
        '--run',
      ];
      const submitted = await batchlab(args, c.env);
      expect(submitted.status, submitted.stderr).to.equal(0);
      const ids = /submitted array job (\d+) \(2 tasks\) and merge job (\d+)/.exec(submitted.stdout);
      expect(ids, submitted.stdout).to.not.equal(null);
      const [array, merge] = [ids?.[1] as string, ids?.[2] as string];
      expect(submitted.stdout).to.include(`follow: squeue -j ${array},${merge}; logs in ${join(out, 'slurm')}/\n`);
      const until = Date.now() + 480000;
      while (c.client('squeue', ['-h', '-j', `${array},${merge}`]).trim() !== '') {
        if (Date.now() > until) expect.fail(`jobs still queued:\n${c.client('squeue', [])}\n${c.logs()}`);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
      const states = (job: string): string[] =>
        [...c.client('scontrol', ['show', 'job', job]).matchAll(/JobState=(\S+)/g)].map((m) => m[1]);
      const logs = (): string =>
        readdirSync(join(out, 'slurm'))
          .filter((f) => f.endsWith('.log'))
          .map((f) => `--- ${f}\n${readFileSync(join(out, 'slurm', f), 'utf8')}`)
          .join('\n');
      expect(states(array), logs()).to.deep.equal(['COMPLETED', 'COMPLETED']);
      expect(states(merge), logs()).to.deep.equal(['COMPLETED']);
      expect(readFileSync(join(out, 'slurm', 'shard-1.log'), 'utf8')).to.match(/shard 1\/2: 2 of 4 runs/);
      expect(readFileSync(join(out, 'slurm', 'merge.log'), 'utf8')).to.match(/merged 4 of 4 cells from 2 shard files/);
      expectSameNumbers(out, local);
    });
  });
});
