// The hooks of a suite that runs on WebGPU: it starts the backend (with batchlab's kernel pack)
// before the suite and returns to wasm after it. Without a Vulkan driver the suite is skipped
// locally, saying why, and fails in CI, which installs lavapipe.
import { useBackend } from '../../src/backend';
import { skipBecause } from '../setup';

export function onWebGpu(): void {
  before(async function () {
    try {
      await useBackend('webgpu');
    } catch (error) {
      if (process.env.CI) throw error;
      skipBecause(this, (error as Error).message.split('\n')[0]);
    }
  });
  after(async () => {
    await useBackend('wasm');
  });
}
