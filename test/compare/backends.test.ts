// compare with backends as a factor, through real worker processes on small synthetic data: every
// cell on each backend that starts here, in a process of that backend's own, with losses and
// accuracies that agree to float rounding; a backend that does not start (tensorflow: not
// installed here) is reported with the doctor's reason while the others run.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompareResult, compare } from '../../src/compare/compare';
import { writePlan } from '../../src/compare/plan-file';
import { merge } from '../../src/compare/merge';
import type { ExperimentSpecInput } from '../../src/experiment/spec';
import type { RunResult } from '../../src/experiment/result';
import { summarize, summaryCsv, summaryTable } from '../../src/report/summary';
import { run } from '../report/fixtures';
import { batchlab } from '../helpers/batchlab-cli';
import { skipBecause } from '../setup';

/**
 * The tolerance the README states: wasm and cpu differ in the order of float32 sums, so losses
 * agree to a relative 1e-4 (seen: about 1e-7) and accuracies to one test sample.
 */
const LOSS_TOLERANCE = 1e-4;

const spec: ExperimentSpecInput = {
  data: 'blobs',
  limit: 200,
  strategies: ['mini:50', 'full'],
  batchNorm: 'both',
  seeds: 2,
  budget: 'epochs:1',
  checkpoints: 0,
  backends: ['wasm', 'cpu', 'tensorflow'],
};

/** Child processes of this process, from ps, but for tsx's esbuild service (which compiles the tests). */
function children(): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    return out
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([pid, command]) => Number(pid) > 0 && command !== 'ps' && command !== 'esbuild')
      .map(([pid]) => Number(pid));
  } catch {
    return []; // ps exits 1 when it lists nothing
  }
}

const lastLoss = (r: RunResult): number => r.history?.epochs[r.history.epochs.length - 1].loss ?? NaN;

describe('compare --backends', function () {
  this.timeout(300000);
  let dir: string;
  let result: CompareResult;
  const lines: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-backends-'));
    result = await compare(spec, { outDir: dir, log: (line) => lines.push(line) });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the backend that does not start with its reason, and runs the others', () => {
    expect(result.backends?.map((p) => [p.name, p.available])).to.deep.equal([
      ['wasm', true],
      ['cpu', true],
      ['tensorflow', false],
    ]);
    const tensorflow = lines.find((l) => l.startsWith('backend tensorflow: '));
    expect(tensorflow).to.match(/^backend tensorflow: not run here: the tensorflow backend is not installed: /);
    expect(lines).to.include('backend cpu: CPU (JavaScript)');
    // Not failed runs: none is recorded for tensorflow, and every other run finished.
    expect(result.results).to.have.length(16);
    expect(result.results.every((r) => r.status === 'ok')).to.equal(true);
    expect(result.results.some((r) => r.id.includes('/tensorflow/'))).to.equal(false);
    const recorded = JSON.parse(readFileSync(join(dir, 'backends.json'), 'utf8')) as { name: string }[];
    expect(recorded.map((p) => p.name)).to.deep.equal(['wasm', 'cpu', 'tensorflow']);
  });

  it('runs every cell on both backends, each result naming its backend', () => {
    const wasm = result.results.filter((r) => r.cell.backend === 'wasm');
    const cpu = result.results.filter((r) => r.cell.backend === 'cpu');
    expect(wasm).to.have.length(8);
    expect(cpu.map((r) => r.id)).to.deep.equal(wasm.map((r) => r.id.replace('/wasm/', '/cpu/')));
    for (const r of result.results) {
      expect(r.backend, r.id).to.equal(r.cell.backend);
      expect(r.id, r.id).to.include(`/${r.backend}/seed`);
      expect(r.timing?.firstEpochSeconds, r.id).to.be.greaterThan(0);
    }
  });

  it('trains each backend in a worker process of its own', () => {
    const pids = (backend: string) => new Set(result.results.filter((r) => r.backend === backend).map((r) => r.pid));
    const [wasm, cpu] = [pids('wasm'), pids('cpu')];
    expect(wasm.size).to.equal(1);
    expect(cpu.size).to.equal(1);
    const [wasmPid, cpuPid] = [[...wasm][0], [...cpu][0]];
    expect(wasmPid).to.be.a('number').and.not.equal(cpuPid);
    expect(wasmPid).not.to.equal(process.pid);
    expect(cpuPid).not.to.equal(process.pid);
    // Workers and probe processes have all ended.
    expect(children()).to.deep.equal([]);
  });

  it('gives losses and accuracies that agree across backends to float rounding', () => {
    const testSize = 40;
    const byId = new Map(result.results.map((r) => [r.id, r]));
    for (const w of result.results.filter((r) => r.backend === 'wasm')) {
      const c = byId.get(w.id.replace('/wasm/', '/cpu/')) as RunResult;
      const [a, b] = [lastLoss(w), lastLoss(c)];
      expect(Math.abs(a - b), `${w.id} train loss ${a} vs ${b}`).to.be.at.most(LOSS_TOLERANCE * Math.abs(a));
      const [ta, tb] = [w.test?.loss ?? NaN, c.test?.loss ?? NaN];
      expect(Math.abs(ta - tb), `${w.id} test loss ${ta} vs ${tb}`).to.be.at.most(LOSS_TOLERANCE * Math.abs(ta));
      const accuracy = Math.abs((w.test?.accuracy ?? NaN) - (c.test?.accuracy ?? NaN));
      expect(accuracy, w.id).to.be.at.most(1 / testSize + 1e-9);
    }
  });

  it('has a backend column in the table and summary.csv, and only when the backend varies', () => {
    const csv = readFileSync(join(dir, 'summary.csv'), 'utf8').split('\n');
    const header = csv[0].split(',');
    expect(header.slice(header.indexOf('lr_schedule'), header.indexOf('lr_schedule') + 3)).to.deep.equal([
      'lr_schedule',
      'backend',
      'runs',
    ]);
    const backendColumn = header.indexOf('backend');
    expect(csv.slice(1, -1).map((line) => line.split(',')[backendColumn])).to.deep.equal([
      ...['wasm', 'cpu', 'wasm', 'cpu', 'wasm', 'cpu', 'wasm', 'cpu'],
    ]);
    expect(summaryTable(result.summary).split('\n')[0]).to.match(/^model +strategy +BN +backend +runs /);
    const wasmOnly = summarize(result.results.filter((r) => r.backend === 'wasm'));
    expect(summaryCsv(wasmOnly).split('\n')[0].split(',')).not.to.include('backend');
    expect(summaryTable(wasmOnly).split('\n')[0]).not.to.match(/backend/);
    expect(
      summaryCsv(summarize([run(), run({ seed: 1 })]))
        .split('\n')[0]
        .split(','),
    ).not.to.include('backend');
  });

  it("charts the time per epoch by backend and states each backend's device in the report", () => {
    expect(existsSync(join(dir, 'plots', 'epoch-seconds-by-backend.svg'))).to.equal(true);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).to.include('<h2>Time per epoch by backend</h2>');
    expect(html).to.match(
      /<h2>Backends<\/h2>\n<ul><li>wasm: CPU \(WebAssembly[^<]*<\/li><li>cpu: CPU \(JavaScript\)<\/li>/,
    );
    expect(html).to.match(/<li>tensorflow: not run here: the tensorflow backend is not installed/);
  });
});

describe('compare --backends with --jobs, --resume, shards and --plan', function () {
  this.timeout(300000);
  const tiny: ExperimentSpecInput = {
    data: 'blobs',
    limit: 100,
    strategies: ['full', 'mini:50'],
    batchNorm: 'off',
    seeds: 2,
    budget: 'epochs:1',
    checkpoints: 0,
    backends: ['wasm', 'cpu'],
  };
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'batchlab-backends-jobs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('shares --jobs 2 within each backend, never a worker across backends, and resumes by id', async () => {
    const first = await compare(tiny, { outDir: dir, jobs: 2 });
    const pids = (backend: string) => new Set(first.results.filter((r) => r.backend === backend).map((r) => r.pid));
    expect(first.results.map((r) => r.status)).to.deep.equal(Array(8).fill('ok'));
    expect(pids('wasm').size).to.be.within(1, 2);
    expect(pids('cpu').size).to.be.within(1, 2);
    expect([...pids('wasm')].filter((pid) => pids('cpu').has(pid))).to.deep.equal([]);
    const again = await compare(tiny, { outDir: dir, resume: true });
    expect([again.ran, again.skipped]).to.deep.equal([0, 8]);
    expect(again.results.map((r) => r.id)).to.deep.equal(first.results.map((r) => r.id));
  });

  it('runs in shards and merges, the merged summary and report keeping the backend', async () => {
    const spec: ExperimentSpecInput = { ...tiny, strategies: ['full'] };
    await compare(spec, { outDir: dir, shard: { index: 0, count: 2 } });
    await compare(spec, { outDir: dir, shard: { index: 1, count: 2 } });
    const merged = await merge(dir);
    expect(merged.results.map((r) => [r.id, r.backend])).to.deep.equal([
      ['mlp/full/nobn/adam/lr0.001/wasm/seed0', 'wasm'],
      ['mlp/full/nobn/adam/lr0.001/wasm/seed1', 'wasm'],
      ['mlp/full/nobn/adam/lr0.001/cpu/seed0', 'cpu'],
      ['mlp/full/nobn/adam/lr0.001/cpu/seed1', 'cpu'],
    ]);
    // Backends that differ by design are not the mixed machines merge warns of.
    expect(merged.backends).to.deep.equal([]);
    expect(merged.summary.map((row) => row.backend)).to.deep.equal(['wasm', 'cpu']);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).to.include('<h2>Time per epoch by backend</h2>');
    expect(html).to.include('<li>cpu: CPU (JavaScript)</li>');
  });

  it("records each cell's backend in plan.json", async () => {
    const plan = await writePlan(tiny, dir);
    expect(plan.cells.map((c) => [c.id, c.backend])).to.deep.equal([
      ['mlp/full/nobn/adam/lr0.001/wasm/seed0', 'wasm'],
      ['mlp/full/nobn/adam/lr0.001/wasm/seed1', 'wasm'],
      ['mlp/full/nobn/adam/lr0.001/cpu/seed0', 'cpu'],
      ['mlp/full/nobn/adam/lr0.001/cpu/seed1', 'cpu'],
      ['mlp/mini:50/nobn/adam/lr0.001/wasm/seed0', 'wasm'],
      ['mlp/mini:50/nobn/adam/lr0.001/wasm/seed1', 'wasm'],
      ['mlp/mini:50/nobn/adam/lr0.001/cpu/seed0', 'cpu'],
      ['mlp/mini:50/nobn/adam/lr0.001/cpu/seed1', 'cpu'],
    ]);
  });
});

describe('compare --backends on the command line', function () {
  this.timeout(120000);
  const args = ['compare', '--data', 'blobs', '--limit', '100', '--strategies', 'full', '--batch-norm', 'off'];

  it('refuses an unknown backend naming the allowed ones (exit 2)', () => {
    const result = batchlab(...args, '--backends', 'wasm,tpu', '--out', join(tmpdir(), 'batchlab-never-written'));
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(
      /--backends\[1\]: Invalid enum value\. Expected 'tensorflow' \| 'webgpu' \| 'wasm' \| 'cpu', received 'tpu'/,
    );
  });

  it('refuses --backend with --backends naming both (exit 2)', () => {
    const result = batchlab(...args, '--backend', 'cpu', '--backends', 'wasm,cpu');
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/--backend cpu and --backends wasm,cpu exclude each other: give one/);
  });

  it("lets --backends replace a spec file's backend, and refuses a file with both", () => {
    const out = mkdtempSync(join(tmpdir(), 'batchlab-backends-file-'));
    try {
      const file = join(out, 'exp.json');
      writeFileSync(file, JSON.stringify({ data: 'blobs', limit: 100, batchNorm: 'off', backend: 'cpu' }));
      // Replaced, not refused: the run goes on to probe tensorflow, which does not start here.
      const replaced = batchlab('compare', '--spec', file, '--backends', 'tensorflow', '--out', join(out, 'a'));
      expect(replaced.status).to.equal(2);
      expect(replaced.stderr).to.match(/backends: none of tensorflow starts here:/);
      writeFileSync(file, JSON.stringify({ backend: 'cpu', backends: ['wasm', 'cpu'] }));
      const both = batchlab('compare', '--spec', file, '--out', join(out, 'b'));
      expect(both.status).to.equal(2);
      expect(both.stderr).to.include(
        `${file}: backends: backend cpu and backends wasm,cpu exclude each other: give one`,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('exits 0 when a backend does not start but the others run, naming it after the table', () => {
    const out = mkdtempSync(join(tmpdir(), 'batchlab-backends-some-'));
    try {
      const result = batchlab(...args, '--budget', 'epochs:1', '--backends', 'cpu,tensorflow', '--out', out);
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stderr).to.match(/^backend tensorflow: not run here: the tensorflow backend is not installed/m);
      expect(result.stdout).to.match(/\n\nbackend tensorflow: not run here: [^\n]+\n\nresults: /);
      // One backend ran: the backend does not vary, so there is no column for it.
      expect(result.stdout).to.match(/^model +strategy +BN +runs /m);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('exits 2 naming each backend and why when none starts, writing no results', () => {
    const out = mkdtempSync(join(tmpdir(), 'batchlab-backends-none-'));
    try {
      const result = batchlab(...args, '--backends', 'tensorflow', '--out', out);
      expect(result.status).to.equal(2);
      expect(result.stderr).to.match(
        /backends: none of tensorflow starts here:\n {2}tensorflow: the tensorflow backend is not installed: /,
      );
      expect(existsSync(join(out, 'results.jsonl'))).to.equal(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('runs webgpu beside cpu, saying that a software Vulkan adapter is a CPU device', function () {
    const out = mkdtempSync(join(tmpdir(), 'batchlab-backends-webgpu-'));
    try {
      const result = batchlab(...args, '--budget', 'epochs:1', '--backends', 'webgpu,cpu', '--out', out, '--quiet');
      const webgpu = /^backend webgpu: not run here: (.*)$/m.exec(result.stdout);
      if (webgpu) {
        if (process.env.CI) expect.fail(result.stdout + result.stderr);
        skipBecause(this, webgpu[1]);
      }
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/^mlp +full +off +webgpu +1 /m);
      expect(result.stdout).to.match(/^mlp +full +off +cpu +1 /m);
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      if (html.includes('software GPU')) expect(html).to.include('a CPU device (software Vulkan), not a GPU');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
