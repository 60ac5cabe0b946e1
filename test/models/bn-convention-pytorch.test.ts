/**
 * The pytorch BatchNorm convention against PyTorch itself. test/fixtures/pytorch-batch-norm.json,
 * written by scripts/pytorch-batch-norm-reference.py with torch.nn.BatchNorm1d/2d, holds a BN MLP's
 * and a BN CNN's initial weights, the data in batch order, the per-update losses of plain SGD, the
 * final moving statistics and the eval-mode logits. batchlab's twin builders, with bnConvention
 * 'pytorch' and the same weights, must match them to 1e-5 on cpu and wasm, with batchlab's kernels
 * (the fused path) and without (the stock path).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { cnn, mlp, ModelBuilder } from '../../models';
import { miniBatch } from '../../src/batching';
import { useBackend } from '../../src/backend';
import { disposeDataset, toDataset } from '../../src/data/dataset';
import { hasFusedBatchNormTraining } from '../../src/ops/batch-norm-training';
import { train } from '../../src/training';
import { relativeError } from '../helpers/kernel-reference';

interface Weight {
  shape: number[];
  values: number[];
}

interface ModelFixture {
  inputShape: number[];
  x: number[];
  initialWeights: { layer: string; weights: Weight[] }[];
  losses: number[];
  movingStatistics: { mean: number[]; variance: number[] }[];
  evalLogits: number[];
}

interface Fixture {
  samples: number;
  batchSize: number;
  epochs: number;
  learningRate: number;
  labels: number[];
  models: { mlp: ModelFixture; cnn: ModelFixture };
}

const FIXTURE = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'pytorch-batch-norm.json'), 'utf8'),
) as Fixture;

const TWINS: Record<keyof Fixture['models'], (bn: Parameters<typeof mlp>[0]) => ModelBuilder> = {
  mlp: (bn) => mlp({ hidden: [8, 6], ...bn }),
  cnn: (bn) => cnn({ filters: [4], dense: 6, ...bn }),
};

interface Outcome {
  losses: number[];
  moving: { mean: number[]; variance: number[] }[];
  logits: number[];
}

/** Builds the twin, loads PyTorch's initial weights, trains as the script did, reads the results. */
async function trainTwin(name: keyof Fixture['models'], bn: Parameters<typeof mlp>[0]): Promise<Outcome> {
  const reference = FIXTURE.models[name];
  const model = TWINS[name](bn).build({ inputShape: reference.inputShape, outputs: 3 }, 0);
  const data = toDataset(
    {
      features: Float32Array.from(reference.x),
      inputShape: reference.inputShape,
      targets: Int32Array.from(FIXTURE.labels),
    },
    { name: `pytorch-${name}`, task: 'classification', numClasses: 3 },
  );
  try {
    const weighted = model.layers.filter((layer) => layer.weights.length > 0);
    expect(weighted.map((l) => l.getClassName())).to.deep.equal(reference.initialWeights.map((l) => l.layer));
    weighted.forEach((layer, i) => {
      const weights = reference.initialWeights[i].weights.map((w) => tf.tensor(w.values, w.shape));
      layer.setWeights(weights);
      tf.dispose(weights);
    });
    const { history } = await train(model, data, {
      strategy: miniBatch(FIXTURE.batchSize, { shuffle: false }),
      optimizer: 'sgd',
      learningRate: FIXTURE.learningRate,
      epochs: FIXTURE.epochs,
      updateLossEvery: 1,
      warn: () => undefined,
    });
    const bnLayers = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
    const moving = bnLayers.map((layer) => {
      const [, , mean, variance] = layer.getWeights();
      return { mean: Array.from(mean.dataSync()), variance: Array.from(variance.dataSync()) };
    });
    const logits = tf.tidy(() => Array.from((model.predict(data.x) as tf.Tensor).dataSync()));
    return { losses: history.updates.map((u) => u.loss), moving, logits };
  } finally {
    model.dispose();
    disposeDataset(data);
  }
}

function expectMatches(outcome: Outcome, reference: ModelFixture): void {
  expect(outcome.losses).to.have.length(reference.losses.length);
  outcome.losses.forEach((loss, i) => expect(loss, `loss of update ${i}`).to.be.closeTo(reference.losses[i], 1e-5));
  reference.movingStatistics.forEach((expected, i) => {
    expect(relativeError(outcome.moving[i].mean, expected.mean), `moving mean ${i}`).to.be.below(1e-5);
    expect(relativeError(outcome.moving[i].variance, expected.variance), `moving variance ${i}`).to.be.below(1e-5);
  });
  expect(relativeError(outcome.logits, reference.evalLogits), 'eval logits').to.be.below(1e-5);
}

describe("bnConvention 'pytorch' against PyTorch (test/fixtures/pytorch-batch-norm.json)", () => {
  for (const backend of ['cpu', 'wasm'] as const)
    for (const kernels of [true, false])
      for (const name of ['mlp', 'cnn'] as const) {
        // Stock tfjs-backend-wasm has no Conv2DBackpropFilter (batchlab's kernel pack brings it).
        if (backend === 'wasm' && !kernels && name === 'cnn') continue;
        it(`${name} on ${backend}, ${kernels ? "batchlab's kernels" : 'stock kernels'}: losses, moving statistics and eval logits to 1e-5`, async () => {
          try {
            await useBackend(backend, { kernels });
            expect(hasFusedBatchNormTraining()).to.equal(kernels);
            const before = tf.memory().numTensors;
            expectMatches(await trainTwin(name, { batchNorm: true, bnConvention: 'pytorch' }), FIXTURE.models[name]);
            expect(tf.memory().numTensors).to.equal(before);
          } finally {
            await useBackend('wasm');
          }
        });
      }

  it("the keras convention with PyTorch's momentum and epsilon misses the moving variance (biased update)", async () => {
    const reference = FIXTURE.models.mlp;
    const outcome = await trainTwin('mlp', { batchNorm: true, momentum: 0.9, epsilon: 1e-5 });
    outcome.losses.forEach((loss, i) => expect(loss).to.be.closeTo(reference.losses[i], 1e-5));
    const varianceError = relativeError(outcome.moving[0].variance, reference.movingStatistics[0].variance);
    expect(varianceError).to.be.above(1e-3);
  });
});
