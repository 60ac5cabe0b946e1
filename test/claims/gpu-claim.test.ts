import { expect } from 'chai';
import { BackendStatus, checkGpuClaim } from '../../src/claims/gpu-claim';
import type { ThroughputPointLike } from '../../src/claims/powers-of-two-claim';

const unavailable = (name: string): BackendStatus => ({
  name,
  available: false,
  gpu: false,
  device: null,
  reason: 'not installed',
});
const cpuBackend = (name: string): BackendStatus => ({
  name,
  available: true,
  gpu: false,
  device: 'CPU',
  reason: null,
});
/** As this machine's doctor finds webgpu: on Mesa's software adapter. */
const lavapipe: BackendStatus = {
  name: 'webgpu',
  available: true,
  gpu: false,
  device: 'software GPU (WebGPU on mesa software, llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) 0.0.1)',
  reason: null,
};
const hardware: BackendStatus = {
  name: 'webgpu',
  available: true,
  gpu: true,
  device: 'GPU (WebGPU on nvidia ampere)',
  reason: null,
};
const at = (backend: string, batchSize: number, rate: number): ThroughputPointLike => ({
  backend,
  batchSize,
  samplesPerSecond: [rate],
});
/** Batch 16 is below the mini-batch sizes compared: the GPU losing there does not count. */
const sweep = (gpu32: number) => [
  at('webgpu', 16, 10),
  at('wasm', 16, 400),
  at('webgpu', 32, gpu32),
  at('wasm', 32, 500),
  at('cpu', 32, 100),
  at('webgpu', 64, 2000),
  at('wasm', 64, 600),
];

describe('claim: a GPU is faster than a CPU for mini-batches', () => {
  it('cannot be checked where webgpu runs on a software adapter and tensorflow does not start', () => {
    const check = checkGpuClaim([unavailable('tensorflow'), lavapipe, cpuBackend('wasm')], sweep(1000), 'throughput');
    expect(check.verdict).to.deep.equal({
      kind: 'cannot be checked',
      text: 'cannot be checked here: no GPU backend (tensorflow does not start; webgpu runs on mesa software, llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) 0.0.1, a CPU device)',
    });
    expect(check.evidence).to.equal(
      'backends that start: webgpu (software GPU (WebGPU on mesa software, llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) 0.0.1)), wasm (CPU)',
    );
  });

  it('holds when the GPU is faster than the fastest CPU backend at every batch size from 32', () => {
    const check = checkGpuClaim([hardware, cpuBackend('wasm'), cpuBackend('cpu')], sweep(1000), null);
    expect(check.verdict).to.deep.equal({ kind: 'holds', text: 'holds here' });
    expect(check.evidence).to.equal('GPU over the fastest CPU backend, samples/s: batch 32 2.00x, batch 64 3.33x');
  });

  it('holds in part when faster at some sizes, does not hold when at none', () => {
    const backends = [hardware, cpuBackend('wasm'), cpuBackend('cpu')];
    expect(checkGpuClaim(backends, sweep(400), null).verdict.text).to.equal(
      'holds here in part: faster at batch 64 only',
    );
    const slower = [at('webgpu', 32, 100), at('wasm', 32, 500)];
    expect(checkGpuClaim(backends, slower, null).verdict).to.deep.equal({
      kind: 'does not hold',
      text: 'does not hold here: the CPU is as fast or faster at every batch size',
    });
  });

  it('cannot be checked when the GPU backend was not swept beside a CPU one', () => {
    const check = checkGpuClaim([hardware, cpuBackend('wasm')], [at('wasm', 32, 500)], null);
    expect(check.verdict.text).to.equal(
      'cannot be checked here: no batch size of 32 or more swept on both a GPU (webgpu) and a CPU backend',
    );
  });
});
