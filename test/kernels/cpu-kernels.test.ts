// batchlab's fused kernels on the cpu backend, against tfjs' own cpu ops.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import {
  registerCpuTrainingKernels,
  registerWasmTrainingKernels,
  unregisterCpuTrainingKernels,
  unregisterWasmTrainingKernels,
  useBackend,
} from '../../src/backend';
import { FusedAdamFlushingSubnormals } from '../../src/training/flush-denormals';
import { mlp } from '../../models';
import { onBackend, relativeError, seededValues } from '../helpers/kernel-reference';
import { StepsResult, trainSteps } from '../helpers/train-steps';

/** An MLP-BN's weights after three Adam updates on cpu, and the kernels of the first. */
function trainOnCpu(): Promise<StepsResult> {
  return trainSteps({
    model: mlp({ hidden: [8, 6], batchNorm: true }).build({ inputShape: [5], outputs: 3 }, 3),
    x: tf.tensor2d(seededValues(30, 1), [6, 5]),
    y: tf.oneHot(tf.tensor1d([0, 1, 2, 2, 1, 0], 'int32'), 3).toFloat(),
    optimizer: new FusedAdamFlushingSubnormals(0.01, 0.9, 0.999),
  });
}

/** The kernels that ReLU's gradient runs on `backend`. */
function reluGradientKernels(backend: string): Promise<string[]> {
  return onBackend(backend, async () => {
    const info = await tf.profile(() =>
      tf.tidy(() => tf.grad((x: tf.Tensor) => tf.relu(x))(tf.tensor1d([1, -1]))).dispose(),
    );
    return info.kernels.map((k) => k.name);
  });
}

describe('fused training kernels on the cpu backend', () => {
  it("train an MLP-BN like tfjs' own cpu ops (to 1e-5), with the fused BatchNorm, Adam and ReLU gradient", async () => {
    const stock = await onBackend('cpu', trainOnCpu);
    registerCpuTrainingKernels();
    const fused = await onBackend('cpu', trainOnCpu);
    unregisterCpuTrainingKernels();
    expect(fused.kernels).to.include.members([
      'BatchlabBatchNormTraining',
      'BatchlabBatchNormTrainingGrad',
      'BatchlabAdamUpdate',
      'BatchlabReluGrad',
    ]);
    expect(stock.kernels).to.not.include('BatchlabAdamUpdate');
    fused.weights.forEach((w, i) => expect(relativeError(w, stock.weights[i]), `weight ${i}`).to.be.below(1e-5));
  });

  it("are registered by useBackend('cpu') and not with kernels: false", async () => {
    try {
      await useBackend('cpu', { kernels: false });
      expect(tf.getKernel('BatchlabAdamUpdate', 'cpu')).to.equal(undefined);
      await useBackend('cpu');
      expect(tf.getKernel('BatchlabAdamUpdate', 'cpu')).to.not.equal(undefined);
    } finally {
      await useBackend('wasm');
    }
  });

  it("unregistering one backend's pack leaves the other's fused Relu gradient in place", async () => {
    registerCpuTrainingKernels();
    unregisterWasmTrainingKernels();
    try {
      expect(await reluGradientKernels('cpu')).to.include('BatchlabReluGrad');
      registerWasmTrainingKernels();
      unregisterCpuTrainingKernels();
      expect(await reluGradientKernels('wasm')).to.include('BatchlabReluGrad');
      expect(await reluGradientKernels('cpu'))
        .to.include('Step')
        .and.not.include('BatchlabReluGrad');
    } finally {
      registerWasmTrainingKernels();
    }
  });
});
