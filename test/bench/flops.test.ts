// The bench's FLOP count on models whose counts are worked out by hand from their shapes.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { forwardFlops, layerForwardFlops, trainingFlopsPerSample } from '../../scripts/bench/flops';
import { mlp } from '../../models';

describe('bench FLOP count', () => {
  it('counts 2·in·out per dense layer forward and 3x that for training (784-256-128-10 MLP, BN ignored)', () => {
    // 2·(784·256 + 256·128 + 128·10) = 2·(200704 + 32768 + 1280) = 469504
    for (const batchNorm of [false, true]) {
      const model = mlp({ batchNorm }).build({ inputShape: [28, 28, 1], outputs: 10 }, 0);
      expect(forwardFlops(model)).to.equal(469504);
      expect(trainingFlopsPerSample(model)).to.equal(3 * 469504);
      model.dispose();
    }
  });

  it('counts a convolution per output pixel, valid and strided same padding', () => {
    const input = tf.input({ shape: [8, 8, 3] });
    // valid 3x3, 2 filters: 6x6 output pixels, 2·36·(3·3·3)·2 = 3888
    const valid = tf.layers.conv2d({ filters: 2, kernelSize: 3 });
    // same 3x3 stride 2 on the 6x6x2 output, 4 filters: 3x3 pixels, 2·9·(3·3·2)·4 = 1296
    const strided = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' });
    // flatten 3·3·4 = 36 -> dense 5: 2·36·5 = 360; pooling and flatten count 0
    const pool = tf.layers.maxPooling2d({ poolSize: 1 });
    const flat = tf.layers.flatten();
    const out = tf.layers.dense({ units: 5 });
    const y = out.apply(flat.apply(pool.apply(strided.apply(valid.apply(input))))) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    expect([valid, strided, pool, flat, out].map(layerForwardFlops)).to.deep.equal([3888, 1296, 0, 0, 360]);
    expect(forwardFlops(model)).to.equal(3888 + 1296 + 360);
    expect(trainingFlopsPerSample(model)).to.equal(3 * 5544);
    model.dispose();
  });
});
