// WebGPU through Dawn (npm webgpu) on whatever Vulkan device exists; CI installs Mesa's lavapipe
// (software Vulkan) so that this runs there. Without a Vulkan driver the training test is skipped
// locally and fails in CI.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import { checkParity } from '../../src/doctor';
import { installNavigatorGpu, vulkanLoaderFound } from '../../src/backend/webgpu';
import { skipBecause } from '../setup';

describe('webgpu backend', function () {
  this.timeout(180000);
  after(async () => {
    await useBackend('wasm');
  });

  it('names the package to install when Dawn is missing', async () => {
    const error = await installNavigatorGpu('not-a-dawn-package').catch((e: Error) => e);
    expect((error as Error).message).to.match(
      /the webgpu backend needs the npm package webgpu .*npm install webgpu@0\.6\.2/,
    );
  });

  it("finds the Vulkan loader in the linker's cache or on LD_LIBRARY_PATH, and says when it is in neither", () => {
    const cache = 'ld.so-1.7.0\0glibc-ld.so.cache1.1\0libvulkan_lvp.so\0libvulkan.so.1\0libz.so.1';
    expect(vulkanLoaderFound(cache, undefined)).to.equal(true);
    // Mesa's drivers are named libvulkan_*.so: they are not the loader.
    expect(vulkanLoaderFound('libvulkan_lvp.so\0libvulkan_radeon.so', undefined)).to.equal(false);
    const seen: string[] = [];
    const exists = (path: string) => (seen.push(path), path === '/opt/vk/lib/libvulkan.so.1');
    expect(vulkanLoaderFound('', '/nowhere::/opt/vk/lib', exists)).to.equal(true);
    // The empty entry is not looked up as the current folder.
    expect(seen).to.deep.equal(['/nowhere/libvulkan.so.1', '/opt/vk/lib/libvulkan.so.1']);
    expect(vulkanLoaderFound('', '/nowhere', exists)).to.equal(false);
  });

  it("trains a BN MLP and a BN CNN with stock cpu's losses to 1e-6", async function () {
    try {
      await useBackend('webgpu');
    } catch (error) {
      if (process.env.CI) throw error;
      skipBecause(this, (error as Error).message.split('\n')[0]);
    }
    expect(tf.getBackend()).to.equal('webgpu');
    // The same BN MLP and BN CNN, weights and batches as `batchlab doctor --parity`.
    const rows = await checkParity(['webgpu']);
    expect(rows.map((r) => r.model)).to.deep.equal(['BN MLP', 'BN CNN']);
    // Seen on lavapipe: 1.2e-7 for both models.
    for (const row of rows) expect(row.maxLossDifference, `${row.model}: ${row.error ?? ''}`).to.be.at.most(1e-6);
  });

  it("starts without Dawn's two limit notices on stderr", function () {
    const main = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
    const out = mkdtempSync(join(tmpdir(), 'batchlab-webgpu-'));
    // Through a shell pipe, as a user's `batchlab ... 2>&1 | less` would run it.
    const script = `"$0" --require tsx/cjs "$1" train --backend webgpu --data blobs --limit 64 --epochs 1 --out "$2" 2>&1 | cat`;
    const result = spawnSync('bash', ['-c', script, process.execPath, main, out], { encoding: 'utf8' });
    rmSync(out, { recursive: true, force: true });
    if (!/^backend: webgpu/m.test(result.stdout)) {
      if (process.env.CI) expect.fail(result.stdout + result.stderr);
      this.skip();
    }
    expect(result.stdout).to.match(/^epoch 1\/1 /m);
    expect(result.stdout).not.to.match(/artificially reduced/);
  });
});
