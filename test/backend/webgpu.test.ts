// WebGPU through Dawn (npm webgpu) on whatever Vulkan device exists; CI installs Mesa's lavapipe
// (software Vulkan) so that this runs there. Without a Vulkan driver the training test is skipped
// locally and fails in CI.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { miniBatch } from '../../src/batching';
import { useBackend } from '../../src/backend';
import { installNavigatorGpu } from '../../src/backend/webgpu';
import { disposeDataset } from '../../src/data/dataset';
import { cnn, mlp, ModelBuilder } from '../../models';
import { train } from '../../src/training';
import { blobs, tinyImages } from '../training/helpers';

async function losses(backend: 'cpu' | 'webgpu', builder: ModelBuilder, images: boolean): Promise<number[]> {
  await useBackend(backend);
  const data = images ? tinyImages(16) : blobs(48);
  try {
    const { model, history } = await train(builder, data, { strategy: miniBatch(8), epochs: 2, updateLossEvery: 1, optimizer: 'sgd', learningRate: 0.05 });
    model.dispose();
    return history.updates.map((u) => u.loss);
  } finally {
    disposeDataset(data);
  }
}

describe('webgpu backend', function () {
  this.timeout(180000);
  after(async () => {
    await useBackend('wasm');
  });

  it('names the package to install when Dawn is missing', async () => {
    const error = await installNavigatorGpu('not-a-dawn-package').catch((e: Error) => e);
    expect((error as Error).message).to.match(/the webgpu backend needs the npm package webgpu .*npm install webgpu@0\.6\.2/);
  });

  it('trains a BN MLP and a BN CNN with the cpu backend\'s losses to 1e-4', async function () {
    try {
      await useBackend('webgpu');
    } catch (error) {
      if (process.env.CI) throw error;
      this.skip();
    }
    expect(tf.getBackend()).to.equal('webgpu');
    for (const [builder, images] of [[mlp({ hidden: [16, 8], batchNorm: true }), false], [cnn({ filters: [4], dense: 8, batchNorm: true }), true]] as const) {
      const reference = await losses('cpu', builder, images);
      const gpu = await losses('webgpu', builder, images);
      expect(gpu).to.have.length(reference.length);
      gpu.forEach((loss, i) => expect(Math.abs(loss - reference[i]), `update ${i}`).to.be.at.most(1e-4));
    }
  });
});
