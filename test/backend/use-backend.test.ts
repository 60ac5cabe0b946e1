import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { defaultThreads, useBackend } from '../../src/backend';
import { probeBackends } from '../../src/doctor';

/** Writes a fake native backend package into a temporary node_modules and returns the directory. */
function fakePackage(root: string, name: string, indexJs: string, ownCore = false): string {
  const dir = join(root, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '9.9.9', main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'), indexJs);
  if (ownCore) {
    const core = join(dir, 'node_modules', '@tensorflow', 'tfjs-core');
    mkdirSync(core, { recursive: true });
    writeFileSync(join(core, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-core', version: '3.0.0' }));
  }
  return root;
}

describe('useBackend', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'batchlab-backend-'));
  });
  afterEach(async () => {
    rmSync(root, { recursive: true, force: true });
    if (tf.findBackend('tensorflow')) tf.removeBackend('tensorflow');
    await useBackend('wasm');
  });

  it('starts wasm and cpu and reports them', async () => {
    const wasm = await useBackend('wasm');
    // By default, as many threads as the process may use cores.
    expect(wasm).to.include({ name: 'wasm', gpu: false, threads: defaultThreads() });
    expect(wasm.versions['tfjs-backend-wasm']).to.equal('4.22.0');
    expect(tf.getBackend()).to.equal('wasm');
    const cpu = await useBackend('cpu');
    expect(cpu).to.include({ name: 'cpu', device: 'CPU (JavaScript)' });
    expect(tf.getBackend()).to.equal('cpu');
  });

  it('explains what to install when tensorflow is requested but absent', async () => {
    const error = await useBackend('tensorflow', {
      nativePackages: [{ name: 'not-a-real-tfjs-node', resolveFrom: root }],
    }).catch((e: Error) => e);
    expect((error as Error).message).to.match(
      /tensorflow backend is not installed: npm install @tensorflow\/tfjs-node-gpu@4\.22\.0.*CUDA Toolkit 11\.2 and cuDNN 8\.1\.0/,
    );
  });

  it('auto falls back to wasm when no native package is installed', async () => {
    const info = await useBackend('auto', { nativePackages: [{ name: 'not-a-real-tfjs-node', resolveFrom: root }] });
    expect(info.name).to.equal('wasm');
    expect(info.notes[0]).to.equal('tensorflow skipped: not installed (batchlab doctor says how to add it)');
  });

  it('auto falls back, with the reason, when libtensorflow cannot load', async () => {
    fakePackage(
      root,
      'fake-tfjs-node',
      "throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');",
    );
    const candidates = [{ name: 'fake-tfjs-node', resolveFrom: root }];
    const error = await useBackend('tensorflow', { nativePackages: candidates }).catch((e: Error) => e);
    expect((error as Error).message).to.match(
      /fake-tfjs-node 9\.9\.9 is installed but failed to load: libtensorflow\.so\.2: cannot open shared object file.*npm rebuild fake-tfjs-node/,
    );
    const info = await useBackend('auto', { nativePackages: candidates });
    expect(info.name).to.equal('wasm');
    expect(info.notes[0]).to.match(/^tensorflow skipped: fake-tfjs-node 9\.9\.9 is installed but failed to load/);
  });

  it('refuses a native package that brings its own tfjs-core', async () => {
    fakePackage(root, 'fake-tfjs-node', 'module.exports = {};', true);
    const error = await useBackend('tensorflow', {
      nativePackages: [{ name: 'fake-tfjs-node', resolveFrom: root }],
    }).catch((e: Error) => e);
    expect((error as Error).message).to.match(
      /fake-tfjs-node 9\.9\.9 uses its own tfjs-core 3\.0\.0 .*not batchlab's 4\.22\.0/,
    );
  });

  it('uses a native package that registers into our tfjs-core and reports its GPU', async () => {
    // Stands in for tfjs-node-gpu: registers a 'tensorflow' backend, flagged as on a CUDA device.
    const core = require.resolve('@tensorflow/tfjs-core');
    const cpu = require.resolve('@tensorflow/tfjs-backend-cpu');
    fakePackage(
      root,
      'fake-tfjs-node-gpu',
      `
      const tf = require(${JSON.stringify(core)});
      const { MathBackendCPU } = require(${JSON.stringify(cpu)});
      tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: true }));`,
    );
    const info = await useBackend('tensorflow', {
      nativePackages: [{ name: 'fake-tfjs-node-gpu', resolveFrom: root }],
    });
    expect(info).to.include({ name: 'tensorflow', device: 'CUDA GPU', gpu: true });
    expect(info.versions['fake-tfjs-node-gpu']).to.equal('9.9.9');
    expect(tf.getBackend()).to.equal('tensorflow');
  });

  it('rejects an unknown backend name', async () => {
    const error = await useBackend('gpu' as 'cpu').catch((e: Error) => e);
    expect((error as Error).message).to.equal('backend must be one of auto, tensorflow, webgpu, wasm, cpu, got gpu');
  });

  it('doctor probes every backend and restores the active one', async () => {
    await useBackend('wasm');
    const probes = await probeBackends({ nativePackages: [{ name: 'not-a-real-tfjs-node', resolveFrom: root }] });
    expect(probes.map((p) => p.name)).to.deep.equal(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(probes.map((p) => p.available)).to.include.ordered.members([false]);
    expect([probes[2].available, probes[3].available]).to.deep.equal([true, true]);
    expect(probes[0].reason).to.match(/not installed/);
    expect(tf.getBackend()).to.equal('wasm');
  });
});
