import { expect } from 'chai';
import type { ThroughputPoint, ThroughputSweep } from '../../src/throughput';
import { powersBetween, throughputChart, writeThroughputChart } from '../../src/report/throughput-chart';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const at = (backend: string, batchSize: number, samplesPerSecond: number[]): ThroughputPoint => ({
  backend,
  batchSize,
  samplesPerSecond,
  steps: 1,
  seconds: samplesPerSecond.map(() => 1),
  updates: 1,
});

const sweep: ThroughputSweep = {
  model: 'mlp',
  batchNorm: false,
  data: 'fashion-mnist-small',
  points: [
    at('wasm', 96, [900, 950]),
    at('wasm', 128, [1000, 1100]),
    at('cpu', 96, [50, 52]),
    at('cpu', 128, [60, 61]),
  ],
  device: { wasm: 'CPU (WebAssembly, SIMD)', cpu: 'CPU (JavaScript)' },
  failures: [{ backend: 'webgpu', reason: 'no adapter' }],
  modelDescription: 'mlp [256,128] relu, no BN',
  settings: { optimizer: 'adam', repeats: 2, warmup: 3, steps: null, seconds: 1, seed: 0, kernels: true },
};

describe('throughput chart', () => {
  it('marks the powers of two around the measured batch sizes', () => {
    expect(powersBetween(16, 512)).to.deep.equal([16, 32, 64, 128, 256, 512]);
    expect(powersBetween(15, 513)).to.deep.equal([8, 16, 32, 64, 128, 256, 512, 1024]);
    expect(powersBetween(96, 96)).to.deep.equal([64, 128]);
  });

  it('draws one panel per backend, with the findings and the backends not measured under it', () => {
    const spec = JSON.stringify(throughputChart(sweep));
    expect(spec).to.include('"text":"wasm: CPU (WebAssembly, SIMD)"').and.to.include('"text":"cpu: CPU (JavaScript)"');
    expect(spec).to.include('webgpu not measured: no adapter');
    expect(spec).to.match(/wasm: powers of two stand out from their neighbours/);
    expect(spec).to.include('"values":[64,128]');
  });

  it('writes the SVG and the PNG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchlab-throughput-chart-'));
    try {
      const files = await writeThroughputChart(join(dir, 'throughput'), sweep);
      expect(files).to.deep.equal([join(dir, 'throughput.svg'), join(dir, 'throughput.png')]);
      expect(readFileSync(files[0], 'utf8')).to.include('Batch size (log2 scale)');
      expect(readFileSync(files[1]).subarray(1, 4).toString()).to.equal('PNG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
