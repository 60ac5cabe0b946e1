import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runClaims } from '../../src/claims/run-claims';
import type { ClaimsFile } from '../../src/claims/claims-table';

describe('runClaims: a small claims experiment end to end', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'claims-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes claims.json and report.html whose Claims section links to charts of the same page', async () => {
    const out = join(dir, 'out');
    const backend = tf.getBackend();
    const result = await runClaims({
      outDir: out,
      spec: {
        name: 'small claims',
        limit: 300,
        hidden: [16, 16, 16],
        strategies: ['sgd', 'mini:32', 'mini:100', 'full'],
        batchNorm: 'both',
        allowBatchNormBatchOfOne: true,
        budget: 'epochs:1',
        checkpoints: 1,
      },
    });
    // The doctor's probes leave the backend the experiment ran on active.
    expect(tf.getBackend()).to.equal(backend);
    const file = JSON.parse(readFileSync(join(out, 'claims.json'), 'utf8')) as ClaimsFile;
    expect(file.claims.map((c) => c.id)).to.deep.equal(['powers-of-two', 'gpu', 'memory', 'noise', 'batch-norm']);
    expect(file.claims).to.deep.equal(result.checks);
    const byId = Object.fromEntries(file.claims.map((c) => [c.id, c]));
    // Four batch sizes without BN, 1, 32, 100 and 300: memory and noise have their evidence.
    expect(byId.memory.evidence).to.match(
      /^update peak: sgd \(1\) .*, mini:32 \(32\) .*, mini:100 \(100\) .*, full \(300\) /,
    );
    expect(byId.noise.evidence).to.match(
      /^relative noise at the initial weights: sgd .*, mini:32 .*, mini:100 .*, full batch 0;/,
    );
    expect(byId['batch-norm'].evidence).to.match(/^mini:32, 3 hidden layers, 2 checkpoints: /);
    for (const id of ['memory', 'noise', 'batch-norm']) expect(byId[id].verdict.kind).to.not.equal('cannot be checked');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const plots = file.claims.flatMap((c) => (c.plot ? [c.plot] : []));
    // The throughput sweep (wasm here, no GPU backend) backs both the powers-of-two and the GPU claim.
    expect(plots).to.deep.equal(['throughput', 'throughput', 'memory-vs-batch', 'noise-vs-batch', 'activation-std']);
    expect(byId['powers-of-two'].evidence).to.match(/wasm/);
    expect(byId['powers-of-two'].verdict.kind).to.not.equal('cannot be checked');
    expect(file.files.throughput).to.equal('plots/throughput.svg');
    for (const plot of plots) {
      expect(html).to.include(`<a href="#${plot}">`);
      expect(html).to.include(`<section class="chart" id="${plot}">`);
      expect(readdirSync(join(out, 'plots'))).to.include(`${plot}.svg`);
    }
    expect(html.indexOf('<section id="claims">')).to.be.lessThan(html.indexOf('<pre>'));
  });

  it('refuses an output directory that already holds results, leaving them as they were', async () => {
    const out = join(dir, 'out');
    const before = readFileSync(join(out, 'results.jsonl'), 'utf8');
    let error: unknown = null;
    await runClaims({ outDir: out, spec: { limit: 300, strategies: ['full'], budget: 'epochs:1' } }).catch(
      (e: unknown) => {
        error = e;
      },
    );
    expect(String(error)).to.match(/already holds 8 runs in results\.jsonl; pass --resume/);
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8')).to.equal(before);
  });
});
