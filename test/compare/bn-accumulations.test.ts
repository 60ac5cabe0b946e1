import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare } from '../../src/compare/compare';
import { writePlan } from '../../src/compare/plan-file';
import type { ExperimentSpecInput } from '../../src/experiment/spec';
import { bnFacetLabel } from '../../src/report/bn-labels';
import { summaryTable } from '../../src/report/summary';

/** Plain BN at batch 50, whole and in micro-batches of 10 under both modes. */
const spec: ExperimentSpecInput = {
  data: 'blobs',
  limit: 200,
  strategies: ['mini:50', 'mini:50/micro:10'],
  batchNorm: 'on',
  bnAccumulations: ['chunk', 'exact'],
  seeds: 1,
  budget: 'epochs:2',
  checkpoints: 1,
  backend: 'wasm',
};

describe('compare --bn-accumulations chunk,exact', function () {
  this.timeout(180000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-bn-accumulations-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('trains exact as one pass over each batch and chunk as ghost BN, each named in every output', async () => {
    const result = await compare(spec, { outDir: dir });
    const lines = readFileSync(join(dir, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.cell.bnAccumulation, l.bnAccumulation, l.bnBatch])).to.deep.equal([
      ['mlp/mini:50/bn/adam/lr0.001/seed0', undefined, undefined, 50],
      ['mlp/mini:50/micro:10/bn-chunk/adam/lr0.001/seed0', 'chunk', 'chunk', 10],
      ['mlp/mini:50/micro:10/bn-exact/adam/lr0.001/seed0', 'exact', 'exact', 50],
    ]);
    const losses = (i: number): number[] => lines[i].history.updates.map((u: { loss: number }) => u.loss);
    expect(losses(0)).to.have.length(8);
    const gap = (i: number): number => Math.max(...losses(0).map((loss, k) => Math.abs(loss - losses(i)[k])));
    // Exact: the whole batch's statistics in every chunk, so the losses of one pass to float rounding.
    expect(gap(2)).to.be.below(1e-5);
    // Chunk: each chunk of 10 normalised on its own, from the first update on.
    expect(gap(1)).to.be.above(1e-3);
    expect(Math.abs(losses(1)[0] - losses(0)[0])).to.be.above(1e-4);
    // The gradient noise at the initial weights, of the same drawn batches: exact's is one pass's.
    const noise = (i: number): number => lines[i].checkpoints[0].gradientNoise.relativeVariance;
    expect(Math.abs(noise(2) - noise(0))).to.be.below(1e-6 * noise(0));
    expect(Math.abs(noise(1) - noise(0))).to.be.above(1e-3 * noise(0));

    const [header, ...rows] = readFileSync(join(dir, 'summary.csv'), 'utf8').trim().split('\n');
    const columns = header.split(',');
    const pick = (row: string) =>
      ['strategy', 'bn_accumulation', 'bn_batch'].map((c) => row.split(',')[columns.indexOf(c)]);
    expect(rows.map(pick)).to.deep.equal([
      ['mini:50', '', '50'],
      ['mini:50/micro:10', 'chunk', '10'],
      ['mini:50/micro:10', 'exact', '50'],
    ]);
    const table = summaryTable(result.summary).split('\n');
    expect(table[0]).to.match(/^model +strategy +BN +BN acc\. +runs/);
    expect(table.slice(2, 5).map((l) => l.split(/ {2,}/).slice(0, 4))).to.deep.equal([
      ['mlp', 'mini:50', 'on', '-'],
      ['mlp', 'mini:50/micro:10', 'on', 'chunk'],
      ['mlp', 'mini:50/micro:10', 'on', 'exact'],
    ]);
    // Only the chunked row normalised over fewer samples than its batch.
    expect(table[3]).to.match(/ 10† /);
    expect(table[4]).to.match(/ 50 /).and.not.include('†');
    expect(table.filter((l) => l.startsWith('  †'))).to.deep.equal([
      '  † mlp/mini:50/micro:10/bn-chunk/adam/lr0.001: BatchNorm normalised over micro-batches of 10 samples (bnAccumulation chunk: ghost BN with g = 10), not over the whole batch of 50.',
    ]);
    expect(result.results.map((r) => bnFacetLabel(r.cell))).to.deep.equal(['BN on', 'BN on', 'BN on (exact)']);
    const report = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(report).to.include('BN on (exact)').and.include(table[0]);
  });

  it('lists each cell with its mode in the plan file', async () => {
    const plan = await writePlan(spec, dir);
    expect(plan.cells.map((c) => [c.number, c.id, c.bnAccumulation ?? null])).to.deep.equal([
      [0, 'mlp/mini:50/bn/adam/lr0.001/seed0', null],
      [1, 'mlp/mini:50/micro:10/bn-chunk/adam/lr0.001/seed0', 'chunk'],
      [2, 'mlp/mini:50/micro:10/bn-exact/adam/lr0.001/seed0', 'exact'],
    ]);
    const written = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    expect(written.spec.bnAccumulations).to.deep.equal(['chunk', 'exact']);
    expect(written.cells[2].bnAccumulation).to.equal('exact');
  });
});
