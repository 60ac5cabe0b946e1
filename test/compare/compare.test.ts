import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseStrategy } from '../../src/batching';
import { compare } from '../../src/compare/compare';
import { availableCores } from '../../src/backend/thread-count';
import { builderFor } from '../../src/experiment/run-cell';
import { readResults } from '../../src/compare/results-file';
import { summaryTable } from '../../src/report/summary';
import type { ExperimentSpecInput } from '../../src/experiment/spec';

/** A small, fast experiment on synthetic blobs. */
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

describe('compare', function () {
  this.timeout(180000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-compare-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs BN variants and conventions as cells, each named in results.jsonl, summary.csv and the table', async () => {
    const spec: ExperimentSpecInput = {
      ...small,
      strategies: ['mini:50/micro:25'],
      seeds: 1,
      batchNorm: 'both',
      bnVariants: ['plain', 'ghost:5', 'renorm'],
      bnConventions: ['keras', 'pytorch'],
      batchRenorm: 'relaxFrom=0,rMaxAt=4,dMaxAt=4',
    };
    const result = await compare(spec, { outDir: dir, report: false });
    const lines = readFileSync(join(dir, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id.split('/')[3], l.cell.bnVariant, l.cell.bnConvention, l.bnBatch])).to.deep.equal([
      ['nobn', undefined, undefined, null],
      ['bn-keras', 'plain', 'keras', 25],
      ['bn-pytorch', 'plain', 'pytorch', 25],
      ['ghost5-keras', 'ghost:5', 'keras', 5],
      ['ghost5-pytorch', 'ghost:5', 'pytorch', 5],
      ['renorm-keras', 'renorm', 'keras', 25],
      ['renorm-pytorch', 'renorm', 'pytorch', 25],
    ]);
    expect(lines.every((l) => l.status === 'ok')).to.equal(true);
    expect(lines.map((l) => l.bnAccumulation)).to.deep.equal([undefined, ...Array(6).fill('chunk')]);
    expect(lines[6].model).to.match(/batch renorm \(rMax 3 at update 4.*pytorch convention/);
    const [header, ...rows] = readFileSync(join(dir, 'summary.csv'), 'utf8').trim().split('\n');
    const columns = header.split(',');
    const pick = (row: string) =>
      ['bn_variant', 'bn_convention', 'bn_accumulation'].map((c) => row.split(',')[columns.indexOf(c)]);
    expect(pick(rows[0])).to.deep.equal(['', '', '']);
    expect(pick(rows[4])).to.deep.equal(['ghost:5', 'pytorch', 'chunk']);
    const table = summaryTable(result.summary).split('\n');
    expect(table[0]).to.match(/^model +strategy +BN +BN conv\. +runs/);
    expect(table[6]).to.match(/^mlp +mini:50\/micro:25 +ghost:5 +pytorch /);
  });

  it('writes one JSONL line per run and a CSV row per configuration with mean and std over seeds', async () => {
    const result = await compare(small, { outDir: dir, report: false });
    const lines = readFileSync(join(dir, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).to.deep.equal([
      'mlp/mini:50/nobn/adam/lr0.001/seed0',
      'mlp/mini:50/nobn/adam/lr0.001/seed1',
      'mlp/mini:100/nobn/adam/lr0.001/seed0',
      'mlp/mini:100/nobn/adam/lr0.001/seed1',
    ]);
    expect(lines.every((l) => l.status === 'ok' && l.history.epochs.length === 2)).to.equal(true);
    expect(lines[0].timing.updatesPerEpoch).to.equal(4);
    expect(lines[0].memory.endTensors).to.equal(lines[0].memory.startTensors);
    expect(lines[0].checkpoints.map((c: { epoch: number }) => c.epoch)).to.deep.equal([0, 2]);
    const csv = readFileSync(join(dir, 'summary.csv'), 'utf8').trim().split('\n');
    expect(csv).to.have.length(3);
    const header = csv[0].split(',');
    const row = csv[1].split(',');
    const accuracies = lines.slice(0, 2).map((l) => l.test.accuracy as number);
    const mean = (accuracies[0] + accuracies[1]) / 2;
    const std = Math.abs(accuracies[0] - accuracies[1]) / Math.SQRT2;
    expect(Number(row[header.indexOf('test_accuracy_mean')])).to.be.closeTo(mean, 1e-12);
    expect(Number(row[header.indexOf('test_accuracy_std')])).to.be.closeTo(std, 1e-12);
    expect(row[header.indexOf('strategy')]).to.equal('mini:50');
    expect(result.summary).to.have.length(2);
  });

  it('records a failed run and goes on', async () => {
    const result = await compare(
      { ...small, strategies: ['sgd', 'mini:100'], batchNorm: 'on', seeds: 1, budget: 'epochs:1' },
      { outDir: dir, report: false },
    );
    expect(result.results.map((r) => r.status)).to.deep.equal(['failed', 'ok']);
    expect(result.results[0].error).to.match(/on a batch of 1 sample/);
    expect(result.summary[0].failed).to.equal(1);
  });

  it('resumes after a crash without redoing finished runs, tolerating a torn last line', async () => {
    await compare(small, { outDir: dir, report: false });
    const path = join(dir, 'results.jsonl');
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    // As if killed while writing the third result.
    writeFileSync(path, `${lines.slice(0, 2).join('\n')}\n${lines[2].slice(0, 100)}`);
    const resumed = await compare(small, { outDir: dir, report: false, resume: true });
    expect(resumed.ran).to.equal(2);
    expect(resumed.results.map((r) => r.id)).to.deep.equal(
      JSON.parse(`[${lines.map((l) => JSON.stringify(JSON.parse(l).id)).join(',')}]`),
    );
    const { results, skippedLines } = await readResults(path);
    expect(skippedLines).to.deep.equal([3]);
    expect(results).to.have.length(4);
    const again = await compare(small, { outDir: dir, report: false, resume: true });
    expect(again.ran).to.equal(0);
  });

  it('refuses to reuse a directory with results unless resuming the same experiment', async () => {
    await compare({ ...small, seeds: 1, strategies: ['mini:100'], budget: 'epochs:1' }, { outDir: dir, report: false });
    const before = readFileSync(join(dir, 'results.jsonl'), 'utf8');
    const fresh = await compare(small, { outDir: dir, report: false }).catch((e: Error) => e);
    expect((fresh as Error).message).to.match(/already holds 1 runs in results\.jsonl; pass --resume/);
    const other = await compare(small, { outDir: dir, report: false, resume: true }).catch((e: Error) => e);
    expect((other as Error).message).to.match(/spec\.json describes a different experiment/);
    expect((other as Error).message).to.match(
      /\n {2}seeds: 1 in spec\.json, 2 here\n {2}budget: epochs:1 in spec\.json, epochs:2 here/,
    );
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).to.equal(before);
  });

  it('gives identical results with --jobs 2 as with --jobs 1', async () => {
    const one = await compare(small, { outDir: join(dir, 'one'), report: false });
    const two = await compare(small, { outDir: join(dir, 'two'), report: false, jobs: 2 });
    const losses = (r: typeof one) =>
      r.results.map((x) => [x.id, x.history?.epochs.map((e) => [e.loss, e.testAccuracy])]);
    expect(losses(two)).to.deep.equal(losses(one));
    // The numbers agree; the timings do not: two runs at once share the machine, and the table says so.
    expect(one.results.map((r) => r.jobs)).to.deep.equal([1, 1, 1, 1]);
    expect(two.results.map((r) => r.jobs)).to.deep.equal([2, 2, 2, 2]);
    expect(summaryTable(two.summary)).to.match(/Timings were taken with --jobs 2: .* inflated by contention/);
    expect(summaryTable(one.summary)).not.to.match(/contention/);
  });

  it('gives identical results with 1 and 2 threads, records them, and says how the jobs share the cores', async () => {
    const spec: ExperimentSpecInput = { ...small, batchNorm: 'both', seeds: 1 };
    const logs: string[] = [];
    const one = await compare(spec, { outDir: join(dir, 'one'), report: false, threads: 1, log: (l) => logs.push(l) });
    const two = await compare(spec, { outDir: join(dir, 'two'), report: false, threads: 2 });
    const losses = (r: typeof one) => r.results.map((x) => [x.id, x.history?.epochs.map((e) => [e.loss, e.testLoss])]);
    expect(losses(two)).to.deep.equal(losses(one));
    expect(one.results.map((r) => r.threads)).to.deep.equal([1, 1, 1, 1]);
    expect(two.results.map((r) => r.threads)).to.deep.equal([2, 2, 2, 2]);
    const { cores, limitedBy } = availableCores();
    expect(logs[1]).to.equal(`1 job x 1 thread (wasm) on ${cores} core${cores === 1 ? '' : 's'} (by ${limitedBy})`);
    expect(summaryTable(two.summary)).to.include('Threads per run: 2 (');
  });

  it('writes TensorBoard event files per run', async () => {
    await compare(
      { ...small, seeds: 1, strategies: ['mini:100'], budget: 'epochs:1' },
      { outDir: dir, report: false, tensorboard: true },
    );
    const { readdirSync } = await import('node:fs');
    const runDirs = readdirSync(join(dir, 'tensorboard'));
    expect(runDirs).to.deep.equal(['mlp_mini:100_nobn_adam_lr0.001_seed0']);
    expect(readdirSync(join(dir, 'tensorboard', runDirs[0]))[0]).to.match(/^events\.out\.tfevents\.\d{10}\./);
  });

  describe('fairness', () => {
    it('cells with one seed start from identical weights, and BN on/off share the dense kernels', async () => {
      const shape = { inputShape: [2], outputs: 3 };
      // Layer names carry global counters, so weights are compared in order, by role.
      const weights = async (bn: boolean) => {
        const model = builderFor({ model: 'mlp', bn }).build(shape, 4);
        const values = await Promise.all(
          model.weights.map(async (w) => ({
            kernel: w.originalName.endsWith('kernel'),
            values: Array.from(await w.read().data()),
          })),
        );
        model.dispose();
        return values;
      };
      const off = await weights(false);
      const on = await weights(true);
      expect(await weights(true)).to.deep.equal(on);
      const kernels = (all: { kernel: boolean; values: number[] }[]) =>
        all.filter((w) => w.kernel).map((w) => w.values);
      expect(kernels(on)).to.deep.equal(kernels(off));
      expect(kernels(on)).to.have.length(3);
    });

    it('every mini-batch size sees the same per-epoch sample order', () => {
      const flat = (s: string, epoch: number) =>
        parseStrategy(s)
          .batches(1000, epoch, 7)
          .flatMap((b) => Array.from(b));
      expect(flat('mini:32', 2)).to.deep.equal(flat('mini:128', 2));
      expect(flat('sgd', 2)).to.deep.equal(flat('mini:100', 2));
      expect(flat('mini:32', 3)).to.not.deep.equal(flat('mini:32', 2));
    });
  });

  it('makes the extra callbacks afresh for every run, so that a display starts each run clean', async () => {
    const begun: number[] = [];
    await compare(small, {
      outDir: dir,
      report: false,
      callbacks: () => {
        const mine = { runs: 0 };
        begun.push(0);
        const index = begun.length - 1;
        return [{ onTrainBegin: () => void (begun[index] = ++mine.runs) }];
      },
    });
    expect(begun).to.deep.equal([1, 1, 1, 1]);
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    await compare({ ...small, seeds: 1, budget: 'epochs:1' }, { outDir: dir, report: false });
    expect(tf.memory().numTensors).to.equal(before);
  });
});
