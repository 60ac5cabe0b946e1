// WebGPU through Dawn (npm webgpu) on whatever Vulkan device exists; CI installs Mesa's lavapipe
// (software Vulkan) so that this runs there. Without a Vulkan driver the training test is skipped
// locally and fails in CI.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import { checkParity } from '../../src/doctor';
import { installNavigatorGpu } from '../../src/backend/webgpu';
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

  it("trains a BN MLP and a BN CNN with the cpu backend's losses to 1e-4", async function () {
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
    for (const row of rows) expect(row.maxLossDifference, `${row.model}: ${row.error ?? ''}`).to.be.at.most(1e-4);
  });
});
