/**
 * The tape-free step for chains of Dense layers: which models take it, and that it gives the tape's
 * losses and weights bit for bit, under every optimizer, with micro-batches and with clipping, with
 * wasm's fused Dense layer kernels and without them.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { Dataset, disposeDataset } from '../../src/data/dataset';
import { cnn, logistic, mlp, ModelBuilder } from '../../models';
import { DenseChain, denseChainOf } from '../../src/training/dense-chain';
import { makeOptimizer, OptimizerName } from '../../src/training/optimizers';
import { GradientClipping } from '../../src/training/clipping';
import { StepContext, StepResult, accumulatedStep, singleStep } from '../../src/training/step';
import { blobs, linear, tinyImages } from './helpers';
import { denseLayerKernels } from '../../src/kernels/wasm/dense-layer';
import { hasFusedDenseLayer } from '../../src/ops/dense-layer';
import { registerWasmTrainingKernels } from '../../src/backend';
import { batchNormalization } from '../../models/batch-norm-layer';
import { dense } from '../../models/dense-layer';

function variablesOf(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

function chainOf(builder: ModelBuilder, data: Dataset): DenseChain | null {
  const model = builder.build({ inputShape: data.inputShape, outputs: data.numClasses ?? 1 }, 3);
  try {
    return denseChainOf(model, variablesOf(model), data.task);
  } finally {
    model.dispose();
  }
}

interface Run {
  optimizer: OptimizerName;
  /** Indices of each update; an update given as several arrays is accumulated over them. */
  updates: Int32Array[][];
  clip?: GradientClipping;
}

/** Losses, correct counts and final weights of `run`, with the chain step or on the tape. */
async function trace(builder: ModelBuilder, data: Dataset, run: Run, tapeFree: boolean) {
  const model = builder.build({ inputShape: data.inputShape, outputs: data.numClasses ?? 1 }, 5);
  const optimizer = makeOptimizer(run.optimizer);
  const variables = variablesOf(model);
  const chain = tapeFree ? denseChainOf(model, variables, data.task) : null;
  if (tapeFree) expect(chain).to.not.equal(null);
  const ctx: StepContext = { model, data, optimizer, variables, clip: run.clip ?? null, chain };
  const results: number[][] = [];
  try {
    for (const chunks of run.updates) {
      const r: StepResult = chunks.length === 1 ? singleStep(ctx, chunks[0]) : accumulatedStep(ctx, chunks);
      const values = [r.loss, r.correct, r.gradNorm].filter((t): t is tf.Scalar => t != null);
      results.push(values.map((t) => t.dataSync()[0]));
      tf.dispose(values);
    }
    return { results, weights: model.getWeights().map((w) => Array.from(w.dataSync())) };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

const indices = (...values: number[]) => Int32Array.from(values);

describe('the Dense chain step (no gradient tape)', () => {
  let images: Dataset;
  let points: Dataset;
  before(() => {
    images = tinyImages(12);
    points = blobs(20);
  });
  after(() => {
    disposeDataset(images);
    disposeDataset(points);
  });

  it('takes chains of plain Dense layers after an optional Flatten, and nothing else', () => {
    const plain = chainOf(mlp({ hidden: [6, 5], batchNorm: false }), images);
    expect(plain?.flatten).to.equal(true);
    expect(plain?.layers.map((l) => [l.relu, l.bias !== null])).to.deep.equal([
      [true, true],
      [true, true],
      [false, true],
    ]);
    expect(chainOf(logistic(), points)?.flatten).to.equal(false);
    expect(chainOf(logistic(), points)?.layers).to.have.length(1);
    // BatchNorm after each hidden Dense layer, before or after its ReLU: plain BN only.
    const before = chainOf(mlp({ hidden: [6, 5], batchNorm: true }), images);
    expect(before?.layers.map((l) => [l.relu, l.bias !== null, l.norm?.relu ?? null])).to.deep.equal([
      [false, false, true],
      [false, false, true],
      [false, true, null],
    ]);
    const after = chainOf(mlp({ hidden: [6], batchNorm: true, bnPosition: 'after' }), images);
    expect(after?.layers.map((l) => [l.relu, l.bias !== null, l.norm?.relu ?? null])).to.deep.equal([
      [true, true, false],
      [false, true, null],
    ]);
    expect(chainOf(mlp({ hidden: [6], batchNorm: true, ghostBatch: 2 }), images), 'ghost BN').to.equal(null);
    expect(chainOf(mlp({ hidden: [6], batchNorm: true, batchRenorm: true }), images), 'batch renorm').to.equal(null);
    expect(chainOf(mlp({ hidden: [6], batchNorm: false, dropout: 0.5 }), images), 'dropout').to.equal(null);
    expect(chainOf(mlp({ hidden: [6], batchNorm: false, activation: 'tanh' }), images), 'tanh').to.equal(null);
    expect(chainOf(cnn({ batchNorm: false }), images), 'convolutions').to.equal(null);
    const regression = linear(8);
    expect(chainOf(mlp({ hidden: [4], batchNorm: false }), regression), 'regression').to.equal(null);
    disposeDataset(regression);
  });

  it('leaves BatchNorm without gamma or beta, first, or twice in a row to the tape', () => {
    const build = (...middle: tf.layers.Layer[]) => {
      const input = tf.input({ shape: points.inputShape });
      let h: tf.SymbolicTensor = input;
      for (const layer of [...middle, dense({ units: points.numClasses ?? 1 })])
        h = layer.apply(h) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: h });
    };
    const relu = () => tf.layers.activation({ activation: 'relu' });
    const models: [string, tf.LayersModel][] = [
      ['center off', build(dense({ units: 5, useBias: false }), batchNormalization({ center: false }), relu())],
      ['scale off', build(dense({ units: 5, useBias: false }), batchNormalization({ scale: false }), relu())],
      ['BatchNorm first', build(batchNormalization({}), dense({ units: 5 }))],
      ['BatchNorm twice', build(dense({ units: 5 }), batchNormalization({}), batchNormalization({}))],
    ];
    for (const [name, model] of models) {
      expect(denseChainOf(model, variablesOf(model), 'classification'), name).to.equal(null);
      model.dispose();
    }
  });

  it('leaves stock Dense layers, frozen weights and shared layers to the tape', () => {
    const stock = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 3 })] });
    expect(denseChainOf(stock, variablesOf(stock), 'classification')).to.equal(null);
    stock.dispose();
    const model = mlp({ hidden: [4], batchNorm: false }).build({ inputShape: [2], outputs: 3 }, 1);
    const all = variablesOf(model);
    expect(denseChainOf(model, all, 'classification')).to.not.equal(null);
    model.layers[1].trainable = false;
    expect(denseChainOf(model, variablesOf(model), 'classification'), 'frozen').to.equal(null);
    expect(denseChainOf(model, all.slice(1), 'classification'), 'a weight left out').to.equal(null);
    model.dispose();
  });

  const runs: [string, Run][] = [
    [
      'SGD (batch 1) under Adam',
      { optimizer: 'adam', updates: [[indices(3)], [indices(0)], [indices(7)], [indices(3)]] },
    ],
    [
      'mini-batches under momentum',
      { optimizer: 'momentum', updates: [[indices(0, 4, 8)], [indices(1, 2, 5, 9, 11)]] },
    ],
    [
      'micro-batches under plain SGD',
      {
        optimizer: 'sgd',
        updates: [
          [indices(0, 1, 2), indices(3, 4)],
          [indices(5, 6, 7, 8), indices(9)],
        ],
      },
    ],
    [
      'micro-batches of several samples under Adam',
      {
        optimizer: 'adam',
        updates: [
          [indices(0, 1, 2), indices(3, 4)],
          [indices(5, 6), indices(7, 8, 9)],
        ],
      },
    ],
    [
      'clipping, with micro-batches',
      {
        optimizer: 'adam',
        clip: { clipNorm: 0.05, clipValue: 0.01 },
        updates: [[indices(2)], [indices(0, 1), indices(5)]],
      },
    ],
  ];
  // With wasm's fused Dense layer kernels, and without them (tfjs' ops, as on cpu and webgpu).
  for (const fused of [true, false]) {
    for (const [name, run] of runs) {
      it(`gives the tape's losses, counts and weights bit for bit${fused ? '' : ' on ops'}: ${name}`, async () => {
        if (!fused) for (const k of denseLayerKernels) tf.unregisterKernel(k.kernelName, k.backendName);
        try {
          expect(hasFusedDenseLayer()).to.equal(fused);
          for (const [builder, data] of [
            [mlp({ hidden: [6, 5], batchNorm: false }), images],
            [logistic(), points],
            [mlp({ hidden: [6, 5], batchNorm: true }), images],
            [mlp({ hidden: [6], batchNorm: true, bnPosition: 'after' }), images],
            // The unbiased moving variance refuses a chunk of one sample, on the tape as in the chain.
            ...(run.updates.flat().every((chunk) => chunk.length > 1)
              ? ([
                  [mlp({ hidden: [6], batchNorm: true, bnPosition: 'after', bnConvention: 'pytorch' }), images],
                  [mlp({ hidden: [6, 5], batchNorm: true, bnConvention: 'pytorch' }), images],
                ] as const)
              : []),
          ] as const) {
            const before = tf.memory().numTensors;
            const chained = await trace(builder, data, run, true);
            expect(tf.memory().numTensors, 'tensors left by the chain step').to.equal(before);
            const taped = await trace(builder, data, run, false);
            expect(chained.results).to.deep.equal(taped.results);
            expect(chained.weights).to.deep.equal(taped.weights);
            expect(chained.weights.flat().some((v, i) => v !== 0 && i > 0)).to.equal(true);
          }
        } finally {
          if (!fused) registerWasmTrainingKernels();
        }
      });
    }
  }
});
