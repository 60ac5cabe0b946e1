// Shards of one experiment: which cells a shard runs, where its index comes from, the plan every
// shard checks its spec and data against, and merge naming the cells that are missing or failed,
// which `compare --resume --shard` then reruns, and only those.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare } from '../../src/compare/compare';
import { merge } from '../../src/compare/merge';
import { writePlan } from '../../src/compare/plan-file';
import { cellsOfShard, parseShard, shardFromEnv } from '../../src/compare/shard';
import { writeFileAtomicIfAbsent } from '../../src/io/atomic-write';
import type { ExperimentSpecInput } from '../../src/experiment/spec';
import { CLI_MAIN } from '../helpers/batchlab-cli';

/** 4 cells; cell 3, SGD with dense BN, is refused (a recorded failure) at once. */
const SPEC: ExperimentSpecInput = {
  data: 'blobs',
  limit: 200,
  strategies: ['full', 'sgd'],
  batchNorm: 'both',
  budget: 'epochs:1',
  checkpoints: 0,
  backend: 'wasm',
};
const IDS = [
  'mlp/full/nobn/adam/lr0.001/seed0',
  'mlp/full/bn/adam/lr0.001/seed0',
  'mlp/sgd/nobn/adam/lr0.001/seed0',
  'mlp/sgd/bn/adam/lr0.001/seed0',
];

function batchlab(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', CLI_MAIN, ...args], {
    encoding: 'utf8',
    timeout: 120000,
    env,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('shards', () => {
  it('shard i of n runs the cells whose number is i modulo n', () => {
    const cells = ['c0', 'c1', 'c2', 'c3', 'c4'];
    expect(cellsOfShard(cells, { index: 0, count: 2 })).to.deep.equal(['c0', 'c2', 'c4']);
    expect(cellsOfShard(cells, { index: 1, count: 2 })).to.deep.equal(['c1', 'c3']);
    expect(cellsOfShard(cells, { index: 2, count: 3 })).to.deep.equal(['c2']);
    expect(cellsOfShard(cells, { index: 0, count: 1 })).to.deep.equal(cells);
  });

  it('--shard i/n needs 0 <= i < n', () => {
    expect(parseShard('3/4')).to.deep.equal({ index: 3, count: 4 });
    for (const bad of ['4/4', '1/0', '-1/2', '1', 'a/b', '1/2/3']) {
      expect(() => parseShard(bad), bad).to.throw(new RegExp(`--shard must be i/n with 0 <= i < n .*got ${bad}`));
    }
  });

  it("reads the index from a Slurm array task's or a Kubernetes Indexed Job pod's environment", () => {
    expect(shardFromEnv({})).to.equal(null);
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' })?.shard).to.deep.equal({
      index: 1,
      count: 2,
    });
    // An array numbered from 1 (--array=1-4): the task's place counts from SLURM_ARRAY_TASK_MIN.
    const fromOne = { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' };
    expect(shardFromEnv(fromOne)?.shard).to.deep.equal({ index: 3, count: 4 });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '2', BATCHLAB_SHARD_COUNT: '3' })).to.deep.equal({
      shard: { index: 2, count: 3 },
      source: 'JOB_COMPLETION_INDEX/BATCHLAB_SHARD_COUNT',
    });
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '0' })).to.throw(/BATCHLAB_SHARD_COUNT is not/);
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '3', BATCHLAB_SHARD_COUNT: '3' })).to.throw(
      /JOB_COMPLETION_INDEX\/BATCHLAB_SHARD_COUNT must be i\/n .*got 3\/3/,
    );
  });

  it("an engine's variable that is not a whole number is refused, naming it and its value", () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ SLURM_ARRAY_TASK_ID: 'abc', SLURM_ARRAY_TASK_COUNT: '2' }, /^SLURM_ARRAY_TASK_ID must be .*, got abc$/],
      [{ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2.5' }, /^SLURM_ARRAY_TASK_COUNT must be .*, got 2\.5$/],
      [
        { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_TASK_MIN: '' },
        /^SLURM_ARRAY_TASK_MIN .*, got $/,
      ],
      [{ JOB_COMPLETION_INDEX: '-1', BATCHLAB_SHARD_COUNT: '2' }, /^JOB_COMPLETION_INDEX must be .*, got -1$/],
      [{ JOB_COMPLETION_INDEX: '0', BATCHLAB_SHARD_COUNT: 'two' }, /^BATCHLAB_SHARD_COUNT must be .*, got two$/],
    ];
    for (const [env, message] of cases) expect(() => shardFromEnv(env), String(message)).to.throw(message);
    // On the command line: status 2, before any planning or training.
    const env = { ...process.env, SLURM_ARRAY_TASK_ID: 'abc', SLURM_ARRAY_TASK_COUNT: '2' };
    const out = join(tmpdir(), `batchlab-not-written-${process.pid}`);
    const run = batchlab(['compare', '--data', 'blobs', '--limit', '100', '--strategies', 'full', '--out', out], env);
    expect(run.status, run.stderr).to.equal(2);
    expect(run.stderr).to.match(/SLURM_ARRAY_TASK_ID must be a whole number >= 0 .*, got abc\n/);
    expect(existsSync(out)).to.equal(false);
  });

  it('of several processes creating one file at once, exactly one does, and its content stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchlab-once-'));
    try {
      const path = join(dir, 'plan.json');
      const created = await Promise.all(Array.from({ length: 8 }, (_, i) => writeFileAtomicIfAbsent(path, `${i}`)));
      expect(created.filter((c) => c)).to.have.length(1);
      expect(readFileSync(path, 'utf8')).to.equal(String(created.indexOf(true)));
      expect(readdirSync(dir)).to.deep.equal(['plan.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('in an experiment directory', function () {
    this.timeout(240000);
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'batchlab-shards-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('merge names the missing and failed cells and their shards; --resume --shard reruns only those', async () => {
      const plan = await writePlan(SPEC, dir);
      expect(plan.cells.map((c) => [c.number, c.id])).to.deep.equal(IDS.map((id, i) => [i, id]));
      await compare(SPEC, { outDir: dir, shard: { index: 0, count: 2 } });
      let merged = await merge(dir, { report: false });
      expect(merged.results.map((r) => r.id)).to.deep.equal([IDS[0], IDS[2]]);
      expect(merged.missing.map((o) => [o.cell.id, o.shard])).to.deep.equal([
        [IDS[1], { index: 1, count: 2 }],
        [IDS[3], { index: 1, count: 2 }],
      ]);
      // The command line names them and the command that reruns them, and exits 1.
      const cli = batchlab(['merge', dir, '--quiet']);
      expect(cli.status).to.equal(1);
      expect(cli.stderr).to.include(
        `missing 2 cells (no shard recorded them):\n  1  ${IDS[1]}  (shard 1/2)\n  3  ${IDS[3]}  (shard 1/2)`,
      );
      expect(cli.stderr).to.include(`rerun them with:\n  batchlab compare --resume --out ${dir} --shard 1/2`);

      const lines: string[] = [];
      await compare(SPEC, { outDir: dir, shard: { index: 1, count: 2 }, resume: true, log: (l) => lines.push(l) });
      expect(lines.filter((l) => l.startsWith('running '))).to.deep.equal([`running ${IDS[1]}`, `running ${IDS[3]}`]);
      merged = await merge(dir, { report: false });
      expect(merged.missing).to.deep.equal([]);
      expect(merged.failed.map((o) => [o.cell.number, o.shard])).to.deep.equal([[3, { index: 1, count: 2 }]]);
      expect(merged.failed[0].error).to.match(/batch of 1 sample/);
      expect(readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n')).to.have.length(4);

      // Again: only the failed cell runs; the shard's other cell is done.
      lines.length = 0;
      await compare(SPEC, { outDir: dir, shard: { index: 1, count: 2 }, resume: true, log: (l) => lines.push(l) });
      expect(lines.filter((l) => l.startsWith('running '))).to.deep.equal([`running ${IDS[3]}`]);
      expect(lines[0]).to.match(/shard 1\/2: 2 of 4 runs \(1 already done\)/);
    });

    it("a shard whose data differs from the plan's refuses to run, naming both fingerprints", async () => {
      const csv = join(dir, 'data.csv');
      const rows = Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 2}`);
      writeFileSync(csv, `a,b,label\n${rows.join('\n')}\n`);
      const spec: ExperimentSpecInput = { ...SPEC, data: `csv:${csv}`, strategies: ['full'], batchNorm: 'off' };
      const out = join(dir, 'exp');
      const plan = await writePlan(spec, out);
      // Another machine's copy of the file, one value changed.
      writeFileSync(csv, `a,b,label\n${rows.join('\n').replace(/^3,/m, '4,')}\n`);
      const run = batchlab(['compare', '--spec', writeSpec(dir, spec), '--out', out, '--shard', '0/2']);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.match(/the data here differs from the data \S+plan\.json was planned on/);
      expect(run.stderr).to.include(`planned on: ${csv}: 40 rows, 2 classes`);
      expect(run.stderr).to.include(`sha256 ${plan.data.sha256}`);
      expect(run.stderr).to.match(/here: .*sha256 (?!${plan.data.sha256})[0-9a-f]{64}/);
      expect(existsSync(join(out, 'shards'))).to.equal(false);
    });

    it("a shard of another experiment than the plan's refuses, naming the field and both values", async () => {
      await writePlan(SPEC, dir);
      const error = await compare({ ...SPEC, seeds: 2 }, { outDir: dir, shard: { index: 0, count: 2 } }).catch(
        (e: Error) => e,
      );
      expect((error as Error).message).to.match(/plan\.json plans a different experiment than this one/);
      expect((error as Error).message).to.include('seeds: 1 in plan.json, 2 here');
    });

    it('merge of a directory without a plan is an input error naming the file', async () => {
      const error = await merge(dir).catch((e: Error) => e);
      expect((error as Error).name).to.equal('InputError');
      expect((error as Error).message).to.include(`${join(dir, 'plan.json')} does not exist`);
    });
  });
});

function writeSpec(dir: string, spec: ExperimentSpecInput): string {
  const path = join(dir, 'spec.json');
  writeFileSync(path, JSON.stringify(spec));
  return path;
}
