/**
 * Batch renormalization (batchRenorm): the layer's forward pass, gradients (input, gamma, beta) and
 * moving statistics against a direct implementation of Ioffe 2017's equations in tfjs' stock ops on
 * the cpu backend, the backward pass written out as the paper gives it (section 3: r and d are
 * constants) rather than differentiated; dense and convolutional input, r and d clipped and not.
 * Then the schedule, the options, and the trainer stepping the schedule once per update.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { BatchRenorm, batchNormalizationLayer, mlp, parseBatchRenorm, renormLimits } from '../../models';
import { fullBatch, miniBatch } from '../../src/batching';
import { train } from '../../src/training';
import { onBackend, relativeError, seededValues } from '../helpers/kernel-reference';
import { blobs } from '../training/helpers';

interface Case {
  x: Float32Array;
  shape: number[];
  gamma: number[];
  beta: number[];
  movingMean: number[];
  movingVariance: number[];
  dy: Float32Array;
  rMax: number;
  dMax: number;
}

interface Outcome {
  y: number[];
  dx: number[];
  dGamma: number[];
  dBeta: number[];
  movingMean: number[];
  movingVariance: number[];
}

const MOMENTUM = 0.75;
const EPSILON = 1e-3;
const read = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** Algorithm 1 and the paper's backward equations, with the channel axis last, x as [m, C]. */
function paper(c: Case): Outcome {
  return tf.tidy(() => {
    const channels = c.shape[c.shape.length - 1];
    const x = tf.tensor2d(c.x, [c.x.length / channels, channels]);
    const dy = tf.tensor2d(c.dy, x.shape);
    const m = x.shape[0];
    const [gamma, beta, mu, variance] = [c.gamma, c.beta, c.movingMean, c.movingVariance].map((v) => tf.tensor1d(v));
    const sigma = tf.sqrt(tf.add(variance, EPSILON));
    const muB = tf.div(tf.sum(x, 0), m);
    const centred = tf.sub(x, muB);
    const varB = tf.div(tf.sum(tf.square(centred), 0), m);
    const sigmaB = tf.sqrt(tf.add(varB, EPSILON));
    const r = tf.clipByValue(tf.div(sigmaB, sigma), 1 / c.rMax, c.rMax);
    const d = tf.clipByValue(tf.div(tf.sub(muB, mu), sigma), -c.dMax, c.dMax);
    const xHat = tf.add(tf.mul(tf.div(centred, sigmaB), r), d);
    const y = tf.add(tf.mul(xHat, gamma), beta);
    // dl/dxhat = dl/dy gamma; dl/dsigmaB = sum dl/dxhat (x - muB) (-r / sigmaB^2); dl/dmuB = sum dl/dxhat (-r / sigmaB);
    // dl/dx = dl/dxhat r / sigmaB + dl/dsigmaB (x - muB) / (m sigmaB) + dl/dmuB / m.
    const dxHat = tf.mul(dy, gamma);
    const dSigmaB = tf.sum(tf.mul(tf.mul(dxHat, centred), tf.div(tf.neg(r), tf.square(sigmaB))), 0);
    const dMuB = tf.sum(tf.mul(dxHat, tf.div(tf.neg(r), sigmaB)), 0);
    const dx = tf.add(
      tf.add(tf.mul(dxHat, tf.div(r, sigmaB)), tf.div(tf.mul(dSigmaB, centred), tf.mul(sigmaB, m))),
      tf.div(dMuB, m),
    );
    const update = (old: tf.Tensor, batch: tf.Tensor) => tf.add(tf.mul(old, MOMENTUM), tf.mul(batch, 1 - MOMENTUM));
    return {
      y: read(y),
      dx: read(dx),
      dGamma: read(tf.sum(tf.mul(dy, xHat), 0)),
      dBeta: read(tf.sum(dy, 0)),
      movingMean: read(update(mu, muB)),
      movingVariance: read(update(variance, varB)),
    };
  });
}

/** batchlab's layer on the active backend: one training call, gradients of sum(y * dy). */
function layerOutcome(c: Case): Outcome {
  const renorm: BatchRenorm = { rMax: c.rMax, dMax: c.dMax, relaxFrom: 0, rMaxAt: 0, dMaxAt: 0 };
  const layer = batchNormalizationLayer({ momentum: MOMENTUM, epsilon: EPSILON, batchRenorm: renorm });
  setUp(layer, c);
  const x = tf.tidy(() => tf.variable(tf.tensor(c.x, c.shape)));
  const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  let y: number[] = [];
  const grads = tf.tidy(() => {
    const { grads: g } = tf.variableGrads(() => {
      const out = layer.apply(x, { training: true }) as tf.Tensor;
      y = read(out);
      return tf.sum(tf.mul(out, tf.tensor(c.dy, c.shape)));
    }, [x, gamma, beta]);
    return [g[x.name], g[gamma.name], g[beta.name]].map(read);
  });
  const [, , movingMean, movingVariance] = layer.getWeights().map(read);
  x.dispose();
  layer.weights.forEach((w) => w.dispose());
  return { y, dx: grads[0], dGamma: grads[1], dBeta: grads[2], movingMean, movingVariance };
}

function setUp(layer: tf.layers.Layer, c: Case): void {
  layer.build(c.shape);
  tf.tidy(() => layer.setWeights([c.gamma, c.beta, c.movingMean, c.movingVariance].map((v) => tf.tensor1d(v))));
}

function makeCase(shape: number[], bounds: { rMax: number; dMax: number }, seed: number): Case {
  const size = shape.reduce((a, b) => a * b, 1);
  // Channels of different scales and offsets, so that r and d land on either side of their bounds.
  const x = seededValues(size, seed).map((v, i) => v * [0.3, 1, 2.5][i % 3] + [0.2, -1.5, 4][i % 3]);
  return {
    x,
    shape,
    gamma: [1.5, 0.5, -2],
    beta: [0.1, 0.2, -0.3],
    movingMean: [0, 0.5, 1],
    movingVariance: [1, 4, 0.5],
    dy: seededValues(size, seed + 1),
    ...bounds,
  };
}

describe('batch renormalization (batchRenorm)', () => {
  const cases: [string, Case][] = [
    ['dense, r and d clipped in some channels', makeCase([8, 3], { rMax: 1.5, dMax: 0.5 }, 3)],
    ['dense, bounds too wide to clip', makeCase([8, 3], { rMax: 100, dMax: 100 }, 4)],
    ['convolutional [N, H, W, C], clipped', makeCase([3, 2, 2, 3], { rMax: 1.2, dMax: 1 }, 5)],
  ];
  for (const [name, c] of cases) {
    it(`${name}: forward, gradients and moving statistics as the paper's equations`, async () => {
      const start = tf.memory().numTensors;
      const ours = layerOutcome(c);
      expect(tf.memory().numTensors, 'tensors left').to.equal(start);
      const reference = await onBackend('cpu', () => paper(c));
      for (const key of Object.keys(reference) as (keyof Outcome)[]) {
        expect(relativeError(ours[key], reference[key]), key).to.be.below(1e-5);
      }
    });
  }

  it('clips: the bounds used in the case above bind (r and d are not the unclipped ratios there)', () => {
    const c = cases[0][1];
    const clipped = paper(c).y;
    const free = paper({ ...c, rMax: 100, dMax: 100 }).y;
    expect(relativeError(clipped, free)).to.be.above(0.05);
  });

  it('unclipped, training computes what inference computes; with rMax 1 and dMax 0 it is plain BN', () => {
    const c = cases[1][1];
    const inference = tf.tidy(() => {
      const layer = batchNormalizationLayer({ epsilon: EPSILON });
      setUp(layer, c);
      const y = read(layer.apply(tf.tensor(c.x, c.shape), { training: false }) as tf.Tensor);
      layer.weights.forEach((w) => w.dispose());
      return y;
    });
    expect(relativeError(layerOutcome(c).y, inference)).to.be.below(1e-5);
    const plain = tf.tidy(() => {
      const layer = batchNormalizationLayer({ epsilon: EPSILON, momentum: MOMENTUM });
      setUp(layer, c);
      const y = read(layer.apply(tf.tensor(c.x, c.shape), { training: true }) as tf.Tensor);
      layer.weights.forEach((w) => w.dispose());
      return y;
    });
    const asPlain = layerOutcome({ ...c, rMax: 1, dMax: 0 });
    expect(relativeError(asPlain.y, plain)).to.be.below(1e-5);
    expect(relativeError(asPlain.y, inference)).to.be.above(0.05);
  });

  it("follows the paper's schedule: plain BN for 5000 updates, rMax 3 at 40000, dMax 5 at 25000, linear between", () => {
    const paperSchedule = parseBatchRenorm('');
    expect(paperSchedule).to.deep.equal({ rMax: 3, dMax: 5, relaxFrom: 5000, rMaxAt: 40000, dMaxAt: 25000 });
    const at = (step: number) => renormLimits(step, paperSchedule);
    expect(at(0)).to.deep.equal({ rMax: 1, dMax: 0 });
    expect(at(5000)).to.deep.equal({ rMax: 1, dMax: 0 });
    // 17500 updates into the ramps: rMax 1 + 2 * 17500/35000, dMax 5 * 17500/20000.
    expect(at(22500).rMax).to.be.closeTo(2, 1e-12);
    expect(at(22500).dMax).to.be.closeTo(4.375, 1e-12);
    expect(at(25000).dMax).to.equal(5);
    expect(at(40000)).to.deep.equal({ rMax: 3, dMax: 5 });
    expect(at(1e6)).to.deep.equal({ rMax: 3, dMax: 5 });
  });

  it('reads and checks its options, naming the bad one', () => {
    expect(parseBatchRenorm('rMax=2, relaxFrom=10,rMaxAt=100,dMaxAt=50')).to.deep.equal({
      rMax: 2,
      dMax: 5,
      relaxFrom: 10,
      rMaxAt: 100,
      dMaxAt: 50,
    });
    expect(() => parseBatchRenorm('rmax=2')).to.throw(/batchRenorm: unknown option rmax \(options: rMax, dMax/);
    expect(() => parseBatchRenorm('rMax=0.5')).to.throw(/rMax must be a number >= 1, got 0.5/);
    expect(() => parseBatchRenorm('dMax=-1')).to.throw(/dMax must be a number >= 0, got -1/);
    expect(() => parseBatchRenorm('relaxFrom=100')).to.not.throw();
    expect(() => parseBatchRenorm('relaxFrom=100,rMaxAt=50')).to.throw(
      /rMaxAt must be an integer >= relaxFrom \(100\), got 50/,
    );
    expect(() => parseBatchRenorm('rMax')).to.throw(/expected key=value, got "rMax"/);
    expect(() => mlp({ batchRenorm: true })).to.throw(/batchRenorm needs batchNorm: true/);
    expect(mlp({ batchNorm: true, batchRenorm: { relaxFrom: 10, rMaxAt: 80, dMaxAt: 50 } }).describe()).to.match(
      /batch renorm \(rMax 3 at update 80, dMax 5 at update 50, relaxed from update 10\) before activation/,
    );
  });

  it('the trainer moves the schedule once per update, micro-batches included, tensor count flat', async () => {
    const data = blobs(48);
    const steps: number[] = [];
    const counts: number[] = [];
    const builder = mlp({ hidden: [4], batchNorm: true, batchRenorm: { relaxFrom: 0, rMaxAt: 4, dMaxAt: 4 } });
    for (const strategy of [miniBatch(12), fullBatch({ microBatch: 16 })]) {
      const model = builder.build({ inputShape: data.inputShape, outputs: data.numClasses }, 0);
      const { history } = await train(model, data, {
        strategy,
        epochs: 2,
        warn: () => undefined,
        callbacks: [
          { onEpochEnd: () => void counts.push(tf.memory().numTensors) },
          {
            onStep: () => {
              const bn = model.layers.find((l) => l.getClassName() === 'BatchNormalization');
              steps.push((bn as unknown as { renormStep: number }).renormStep);
            },
          },
        ],
      });
      expect(history.epochs.every((e) => Number.isFinite(e.loss))).to.equal(true);
      expect(counts[0], `${history.strategy}: tensors after each epoch`).to.equal(counts[1]);
      counts.length = 0;
      model.dispose();
    }
    // mini:12 on 48: 4 updates an epoch, 8 in all; full batch: 2 updates of 3 chunks each.
    expect(steps).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 0, 1]);
    tf.dispose([data.x, data.y]);
  });
});
