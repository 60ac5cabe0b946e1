// Training on WebGPU with batchlab's kernel pack (lavapipe in CI): the tensor count and the
// backend's buffers stay flat across epochs, the kernels' own intermediate buffers (partial sums,
// coefficients) included, and everything is released with the model.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { miniBatch } from '../../src/batching';
import { disposeDataset, subset } from '../../src/data/dataset';
import { loadDataset } from '../../src/data/catalog';
import { Callback, train } from '../../src/training';
import { cnn, mlp } from '../../models';
import { onWebGpu } from '../helpers/webgpu-suite';

describe('training on webgpu with the kernel pack', function () {
  this.timeout(180000);
  onWebGpu();

  for (const [name, builder] of [
    ['BN CNN', cnn({ batchNorm: true })],
    ['MLP', mlp({ batchNorm: false })],
  ] as const) {
    it(`keeps tensors and buffers flat across epochs of the ${name} and releases them`, async () => {
      const { train: all, test } = await loadDataset('fashion-mnist-small');
      const data = subset(
        all,
        Int32Array.from({ length: 96 }, (_, i) => i),
      );
      const backend = tf.engine().backend as tf.KernelBackend & { numDataIds(): number };
      const before = [tf.memory().numTensors, backend.numDataIds()];
      const counts: number[][] = [];
      const probe: Callback = {
        onEpochEnd: () => {
          counts.push([tf.memory().numTensors, backend.numDataIds()]);
        },
      };
      const { model } = await train(builder, data, { strategy: miniBatch(32), epochs: 4, callbacks: [probe] });
      expect(counts[2]).to.deep.equal(counts[1]);
      expect(counts[3]).to.deep.equal(counts[1]);
      model.dispose();
      expect([tf.memory().numTensors, backend.numDataIds()]).to.deep.equal(before);
      [all, data, ...(test ? [test] : [])].forEach(disposeDataset);
    });
  }
});
