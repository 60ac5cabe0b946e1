import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Strategy, miniBatch, sgd } from '../../src/batching';
import { Dataset, disposeDataset } from '../../src/data/dataset';
import { ModelBuilder, logistic, mlp } from '../../models';
import { OptimizerName, earlyStopping, train } from '../../src/training';
import type { History } from '../../src/training';
import { blobs } from './helpers';

interface Run {
  builder: () => ModelBuilder;
  strategy: Strategy;
  optimizer: OptimizerName;
  epochs: number;
  validation?: number;
}

/** Every weight's values, moving statistics included, as exact float32 arrays. */
async function finalWeights(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map(async (w) => Float32Array.from(await w.data<'float32'>())));
}

/** What must repeat bit for bit: every sampled loss and every epoch's numbers but its seconds. */
function numbers(history: History) {
  return {
    updates: history.updates,
    epochs: history.epochs.map(({ seconds: _seconds, ...rest }) => rest),
  };
}

const RUNS: Record<string, Run> = {
  // Adam, BatchNorm's moving statistics, dropout masks, a validation split; 48 samples / 8 = 6 updates an epoch.
  'adam, BN, dropout, validation': {
    builder: () => mlp({ hidden: [8, 8], batchNorm: true, dropout: 0.25 }),
    strategy: miniBatch(8),
    optimizer: 'adam',
    epochs: 5,
    validation: 0.25,
  },
  // Momentum's velocity, gradients accumulated over micro-batches, a short last batch.
  'momentum, micro-batches': {
    builder: () => mlp({ hidden: [8], batchNorm: true }),
    strategy: miniBatch(20, { microBatch: 7 }),
    optimizer: 'momentum',
    epochs: 5,
  },
  // SGD (an optimizer with no slots, only its update count) on single samples.
  'sgd, one sample per update': { builder: () => logistic(), strategy: sgd(), optimizer: 'sgd', epochs: 4 },
};

describe('checkpoints that resume exactly', function () {
  this.timeout(120000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-checkpoint-'));
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    await tf.setBackend('wasm');
  });

  for (const backend of ['wasm', 'cpu']) {
    for (const [name, run] of Object.entries(RUNS)) {
      it(`${backend}, ${name}: stopped after epoch 2 and resumed, it equals the uninterrupted run bit for bit`, async () => {
        await tf.setBackend(backend);
        const before = tf.memory().numTensors;
        const data = blobs(64);
        const options = { strategy: run.strategy, optimizer: run.optimizer, seed: 3, validation: run.validation };
        const whole = await train(run.builder(), data, { ...options, epochs: run.epochs, updateLossEvery: 1 });
        const expected = { history: numbers(whole.history), weights: await finalWeights(whole.model) };
        whole.model.dispose();

        const ckpt = join(dir, 'ckpt');
        const first = await train(run.builder(), data, {
          ...options,
          epochs: 2,
          updateLossEvery: 1,
          checkpoint: { dir: ckpt },
        });
        first.model.dispose();
        expect(readdirSync(ckpt)).to.deep.equal(['epoch-000002']);
        const resumed = await train(run.builder(), data, {
          ...options,
          epochs: run.epochs,
          updateLossEvery: 1,
          resume: ckpt,
        });
        expect(numbers(resumed.history)).to.deep.equal(expected.history);
        expect(await finalWeights(resumed.model)).to.deep.equal(expected.weights);
        expect(resumed.history.backend).to.equal(backend);
        resumed.model.dispose();
        // The resumed run went on checkpointing into the same directory, as often as before (every epoch).
        expect(readdirSync(ckpt)).to.deep.equal([`epoch-00000${run.epochs}`]);
        disposeDataset(data);
        expect(tf.memory().numTensors, 'tensors left').to.equal(before);
      });
    }
  }

  it('writes every k epochs and after the last, keeps only the latest, and ignores what a killed writer left', async () => {
    const data = blobs(32);
    const ckpt = join(dir, 'ckpt');
    const seen: string[][] = [];
    const watch = { onEpochEnd: () => void seen.push(existing(ckpt)) };
    const options = { strategy: miniBatch(8), epochs: 5, callbacks: [watch], checkpoint: { dir: ckpt, every: 2 } };
    const { model } = await train(mlp({ hidden: [4] }), data, options);
    model.dispose();
    // Each epoch's callbacks run before its checkpoint is written.
    expect(seen).to.deep.equal([[], [], ['epoch-000002'], ['epoch-000002'], ['epoch-000004']]);
    expect(existing(ckpt)).to.deep.equal(['epoch-000005']);
    // A half-written checkpoint (a temp directory) and a half-written epoch directory name are not read.
    mkdirSync(join(ckpt, '.epoch-000007.123.abcdef.tmp'));
    writeFileSync(join(ckpt, '.epoch-000007.123.abcdef.tmp', 'tensors.bin'), 'partial');
    const more = await train(mlp({ hidden: [4] }), data, { ...options, epochs: 6, callbacks: [], resume: ckpt });
    expect(more.history.epochs).to.have.length(6);
    more.model.dispose();
    expect(readdirSync(ckpt)).to.deep.equal(['epoch-000006']);
    disposeDataset(data);
  });

  it('replays the epochs before the checkpoint into early stopping, which then stops where it would have', async () => {
    const data = blobs(40);
    const stopAt = async (resumeAfter: number | null): Promise<History> => {
      // Patience 2 on the training loss with a huge minDelta: every epoch after the first counts as no improvement.
      const callbacks = [earlyStopping({ monitor: 'loss', patience: 2, minDelta: 10 })];
      const options = { strategy: miniBatch(8), seed: 1, callbacks };
      if (resumeAfter === null) return (await train(logistic(), data, { ...options, epochs: 6 })).history;
      const ckpt = join(dir, `ckpt-${resumeAfter}`);
      (await train(logistic(), data, { ...options, epochs: resumeAfter, checkpoint: { dir: ckpt } })).model.dispose();
      const again = [earlyStopping({ monitor: 'loss', patience: 2, minDelta: 10 })];
      const { model, history } = await train(logistic(), data, {
        ...options,
        callbacks: again,
        epochs: 6,
        resume: ckpt,
      });
      model.dispose();
      return history;
    };
    const whole = await stopAt(null);
    expect(whole.epochs).to.have.length(3);
    const resumed = await stopAt(2);
    expect(resumed.epochs).to.have.length(3);
    expect(resumed.stopReason?.kind).to.equal('early-stopping');
    disposeDataset(data);
  });

  describe('refuses a checkpoint of another run, naming what differs', () => {
    let data: Dataset;
    const ckpt = (): string => join(dir, 'ckpt');
    const base = { strategy: miniBatch(8), optimizer: 'adam' as const, seed: 3, epochs: 3 };
    beforeEach(async () => {
      data = blobs(32);
      const { model } = await train(mlp({ hidden: [4] }), data, { ...base, epochs: 1, checkpoint: { dir: ckpt() } });
      model.dispose();
    });
    afterEach(() => disposeDataset(data));

    const refusal = async (builder: ModelBuilder, options: Parameters<typeof train>[2], on = data): Promise<Error> => {
      const before = tf.memory().numTensors;
      const error = await train(builder, on, { ...base, ...options, resume: ckpt() }).catch((e: Error) => e);
      expect(tf.memory().numTensors, 'tensors left after the refusal').to.equal(before);
      if (!(error instanceof Error)) throw new Error('expected a refusal');
      expect(error.name).to.equal('InputError');
      return error;
    };

    it('the model', async () => {
      const error = await refusal(mlp({ hidden: [5] }), {});
      expect(error.message).to.match(/model: mlp \[4\].* in the checkpoint, mlp \[5\].* here/);
      expect(error.message).to.match(/weight shapes: \[2,4\] .* in the checkpoint, \[2,5\] .* here/);
    });

    it('the strategy', async () => {
      const error = await refusal(mlp({ hidden: [4] }), { strategy: miniBatch(8, { dropLast: true }) });
      expect(error.message).to.include(
        'strategy: mini:8 (shuffled) in the checkpoint, mini:8 (shuffled, last batch dropped) here',
      );
    });

    it('the optimizer and its learning rate', async () => {
      expect((await refusal(mlp({ hidden: [4] }), { optimizer: 'sgd' })).message).to.match(
        /optimizer: adam \(learningRate 0.001, .*\) in the checkpoint, sgd \(learningRate 0.05\) here/,
      );
      expect((await refusal(mlp({ hidden: [4] }), { learningRate: 0.002 })).message).to.match(
        /optimizer: adam \(learningRate 0.001,.* here/,
      );
    });

    it('the seed', async () => {
      expect((await refusal(mlp({ hidden: [4] }), { seed: 4 })).message).to.include(
        'seed: 3 in the checkpoint, 4 here',
      );
    });

    it('the data set: its size, and its content at the same size', async () => {
      const bigger = blobs(40);
      expect((await refusal(mlp({ hidden: [4] }), {}, bigger)).message).to.match(
        /data set: blobs: 32 samples of \[2\], 3 classes, sha256 [0-9a-f]{64} in the checkpoint, blobs: 40 samples/,
      );
      const other = blobs(32, 2);
      const message = (await refusal(mlp({ hidden: [4] }), {}, other)).message;
      const hashes = [...message.matchAll(/sha256 ([0-9a-f]{64})/g)].map((m) => m[1]);
      expect(hashes).to.have.length(2);
      expect(hashes[0]).to.not.equal(hashes[1]);
      [bigger, other].forEach(disposeDataset);
    });

    it('a directory without a checkpoint, and a checkpoint directory of another run to write into', async () => {
      const empty = join(dir, 'empty');
      const error = await train(mlp({ hidden: [4] }), data, { ...base, resume: empty }).catch((e: Error) => e);
      expect((error as Error).message).to.equal(`${empty} holds no checkpoint (no epoch-NNNNNN directory)`);
      const taken = await train(mlp({ hidden: [4] }), data, { ...base, checkpoint: { dir: ckpt() } }).catch(
        (e: Error) => e,
      );
      expect((taken as Error).message).to.match(/checkpoint.dir .*ckpt already holds checkpoints of a run/);
    });
  });

  it('checks its options, naming the option and the value', async () => {
    const data = blobs(16);
    const bad = (options: Parameters<typeof train>[2]) =>
      train(logistic(), data, { strategy: sgd(), ...options }).catch((e: Error) => e.message);
    expect(await bad({ checkpoint: { dir: dir, every: 0 } })).to.equal(
      'checkpoint.every must be a positive integer, got 0',
    );
    expect(await bad({ checkpoint: { dir: '' } })).to.equal('checkpoint.dir must name a directory, got ""');
    expect(await bad({ resume: '' })).to.equal('resume must name a checkpoint directory, got ""');
    disposeDataset(data);
  });
});

function existing(path: string): string[] {
  try {
    return readdirSync(path).filter((name) => !name.startsWith('.'));
  } catch {
    return [];
  }
}
