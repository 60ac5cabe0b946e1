// The sbatch scripts of `batchlab submit slurm`, line by line, and --run where there is no sbatch.
// (Submitting them to a running cluster is test/compare/sharded-runs.test.ts's.)
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slurmScripts } from '../../src/compare/cluster/slurm';
import { runBatchlab } from '../helpers/batchlab-cli';

describe('submit slurm scripts', () => {
  const scripts = slurmScripts({
    outDir: '/shared/exp one',
    shards: 5,
    maxParallel: 2,
    cpusPerTask: 3,
    name: 'bn-study',
    command: '/usr/bin/node /opt/batchlab/dist/src/cli/main.js',
    workDir: '/home/me',
    sbatchOptions: ['--partition=cpu', '--time=01:00:00'],
    cells: 12,
  });

  it('the array job: one task per shard, k at once, t CPUs and t workers per task', () => {
    const lines = scripts.shards.split('\n');
    expect(lines.filter((l) => l.startsWith('#SBATCH'))).to.deep.equal([
      '#SBATCH --job-name=bn-study',
      '#SBATCH --array=0-4%2',
      '#SBATCH --cpus-per-task=3',
      '#SBATCH --output="/shared/exp one/slurm/shard-%a.log"',
      '#SBATCH --chdir=/home/me',
      '#SBATCH --partition=cpu',
      '#SBATCH --time=01:00:00',
    ]);
    // 3 CPUs, 3 workers: one compute thread each, also under native TensorFlow.
    expect(lines.at(-3)).to.equal('export OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1');
    expect(lines.at(-2)).to.equal(
      `exec /usr/bin/node /opt/batchlab/dist/src/cli/main.js compare --resume --out '/shared/exp one' --shard "$SLURM_ARRAY_TASK_ID/5" --jobs 3 --threads 1`,
    );
  });

  it('the merge job, and submit.sh making it depend on the whole array', () => {
    expect(scripts.merge).to.include('#SBATCH --job-name=bn-study-merge\n');
    expect(scripts.merge.trim().split('\n').at(-1)).to.equal(
      "exec /usr/bin/node /opt/batchlab/dist/src/cli/main.js merge '/shared/exp one'",
    );
    expect(scripts.submit).to.include("array=$(sbatch --parsable '/shared/exp one/slurm/shards.sbatch')\n");
    expect(scripts.submit).to.include(
      "merge=$(sbatch --parsable --dependency=afterany:$array '/shared/exp one/slurm/merge.sbatch')\n",
    );
  });

  it('without --max-parallel the array has no throttle', () => {
    const open = slurmScripts({
      ...{ outDir: '/x', shards: 1, cpusPerTask: 1, name: 'n', command: 'b', workDir: '/' },
      cells: 1,
    });
    expect(open.shards).to.include('#SBATCH --array=0-0\n');
  });

  it('--run without sbatch on PATH: status 2 naming sbatch, the plan and scripts written kept', async function () {
    this.timeout(120000);
    const dir = mkdtempSync(join(tmpdir(), 'batchlab-slurm-run-'));
    try {
      writeFileSync(join(dir, 'exp.yaml'), 'data: blobs\nlimit: 100\nstrategies: [full, sgd]\n');
      const out = join(dir, 'exp');
      const r = await runBatchlab(['submit', 'slurm', '--spec', join(dir, 'exp.yaml'), '--out', out, '--run'], {
        ...process.env,
        PATH: join(dir, 'no-bin'),
      });
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.include('--run submits with sbatch, which is not on PATH');
      expect(readFileSync(join(out, 'slurm', 'shards.sbatch'), 'utf8')).to.include('#SBATCH --array=0-3\n');
      expect(readFileSync(join(out, 'slurm', 'submit.sh'), 'utf8')).to.include('sbatch --parsable');
      expect(JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'))).to.have.nested.property('cells.length', 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
