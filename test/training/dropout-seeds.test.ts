/** Dropout masks seeded per update from the run's seed: reproducible, fresh each update, restored after. */
import { expect } from 'chai';
import { fullBatch, miniBatch } from '../../src/batching';
import { disposeDataset } from '../../src/data/dataset';
import { cnn, mlp } from '../../models';
import { train } from '../../src/training';
import { blobs, tinyImages } from './helpers';

describe('dropout seeds', () => {
  it('the same seed gives identical losses with dropout, another seed different ones', async () => {
    const data = blobs(48);
    const run = async (seed: number, dataSeed = seed): Promise<number[]> => {
      const model = mlp({ hidden: [16, 8], dropout: 0.5 }).build({ inputShape: [2], outputs: 3 }, dataSeed);
      const { history } = await train(model, data, { strategy: miniBatch(8), epochs: 2, seed, updateLossEvery: 1 });
      model.dispose();
      return history.updates.map((u) => u.loss);
    };
    const a = await run(7);
    expect(await run(7)).to.deep.equal(a);
    expect(await run(8)).to.not.deep.equal(a);
    // The same initial weights with another run seed: the order and the masks follow the run seed.
    expect(await run(8, 7)).to.not.deep.equal(a);
    disposeDataset(data);
  });

  it('draws a fresh mask each update (an unshuffled full batch repeats its data, not its loss)', async () => {
    const data = blobs(24);
    const model = mlp({ hidden: [16], dropout: 0.5 }).build({ inputShape: [2], outputs: 3 }, 1);
    // A learning rate of ~0 keeps the weights: the loss then changes only with the mask.
    const { history } = await train(model, data, {
      strategy: fullBatch(),
      optimizer: 'sgd',
      learningRate: 1e-30,
      epochs: 3,
      updateLossEvery: 1,
    });
    const losses = history.updates.map((u) => u.loss);
    expect(new Set(losses).size).to.equal(3);
    model.dispose();
    disposeDataset(data);
  });

  it('reproduces a cnn with dropout and gives the layers their built seed back', async () => {
    const data = tinyImages(16);
    const run = async (): Promise<{ losses: number[]; seeds: unknown[] }> => {
      const { model, history } = await train(cnn({ filters: [2], dense: 4, dropout: 0.5 }), data, {
        strategy: miniBatch(4),
        epochs: 1,
        seed: 3,
        updateLossEvery: 1,
      });
      const seeds = model.layers
        .filter((l) => l.getClassName() === 'Dropout')
        .map((l) => (l.getConfig() as { seed?: number }).seed);
      model.dispose();
      return { losses: history.updates.map((u) => u.loss), seeds };
    };
    const a = await run();
    expect((await run()).losses).to.deep.equal(a.losses);
    expect(a.seeds).to.deep.equal([undefined]);
    disposeDataset(data);
  });
});
