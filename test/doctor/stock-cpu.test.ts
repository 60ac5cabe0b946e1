import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import { miniBatch } from '../../src/batching';
import { disposeDataset, toDataset } from '../../src/data/dataset';
import { gaussianBlobs } from '../../src/data/synthetic';
import { onStockCpu } from '../../src/doctor/stock-cpu';
import { train } from '../../src/training';
import { mlp } from '../../models';

type Registry = Record<string, { kernel: string | null; gradient: string | null }>;

/** Every cpu kernel and the gradient registered for its name, as source text, in this process. */
function cpuRegistry(): Registry {
  const source = (f: ((...args: never[]) => unknown) | undefined): string | null => (f ? f.toString() : null);
  const names = tf.getKernelsForBackend('cpu').map((k) => k.kernelName);
  return Object.fromEntries(
    names
      .sort()
      .map((name) => [
        name,
        { kernel: source(tf.getKernel(name, 'cpu')?.kernelFunc), gradient: source(tf.getGradient(name)?.gradFunc) },
      ]),
  );
}

/** The same, from a fresh Node process that loads tfjs and nothing of batchlab's. */
function pristineCpuRegistry(): Registry {
  const script = `
    const tf = require('@tensorflow/tfjs');
    const source = (f) => (f ? String(f) : null);
    const names = tf.getKernelsForBackend('cpu').map((k) => k.kernelName);
    console.log(JSON.stringify(Object.fromEntries(names.sort().map((name) => [
      name,
      { kernel: source(tf.getKernel(name, 'cpu').kernelFunc), gradient: source(tf.getGradient(name)?.gradFunc) },
    ]))));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as Registry;
}

describe('stock cpu reference', function () {
  this.timeout(60000);
  after(async () => {
    await useBackend('wasm');
  });

  it('has exactly the kernels and gradients of a process that never loaded batchlab', async () => {
    const pristine = pristineCpuRegistry();
    expect(pristine.Relu.gradient).to.match(/step/);
    await useBackend('cpu');
    expect(cpuRegistry(), "batchlab's cpu").not.to.deep.equal(pristine);
    expect(await onStockCpu(() => Promise.resolve(cpuRegistry()))).to.deep.equal(pristine);
  });

  it("puts batchlab's cpu kernels and Relu gradient back afterwards", async () => {
    await useBackend('cpu');
    const before = { kernels: tf.getKernelsForBackend('cpu').length, relu: tf.getGradient('Relu') };
    await onStockCpu(() => Promise.resolve());
    expect({ kernels: tf.getKernelsForBackend('cpu').length, relu: tf.getGradient('Relu') }).to.deep.equal(before);
    expect(tf.getKernel('BatchlabBatchNormTraining', 'cpu')).not.to.equal(undefined);
  });

  it("trains batchlab's BN MLP with tfjs' kernels only", async () => {
    const kernelsRun = async (): Promise<string[]> => {
      const data = toDataset(gaussianBlobs({ samples: 16, seed: 1 }), {
        name: 'blobs',
        task: 'classification',
        numClasses: 3,
      });
      try {
        const info = await tf.profile(async () => {
          const { model } = await train(mlp({ hidden: [8], batchNorm: true }), data, {
            strategy: miniBatch(8),
            epochs: 1,
          });
          model.dispose();
        });
        return [...new Set(info.kernelNames)];
      } finally {
        disposeDataset(data);
      }
    };
    await useBackend('cpu');
    expect((await kernelsRun()).filter((name) => name.startsWith('Batchlab'))).to.include('BatchlabBatchNormTraining');
    const stock = await onStockCpu(kernelsRun);
    expect(stock.filter((name) => name.startsWith('Batchlab'))).to.deep.equal([]);
    expect(stock).to.include.members(['FusedBatchNorm', 'Step']);
  });
});
