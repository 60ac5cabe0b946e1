import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EMBEDDED_DATA_DIR, disposeLoaded, loadDataset } from '../../src/data/catalog';

describe('loadDataset', () => {
  it('loads the embedded Fashion-MNIST subset: 6000 train / 1000 test, scaled to [0, 1]', async () => {
    const data = await loadDataset('fashion-mnist-small');
    expect([data.train.size, data.test?.size]).to.deep.equal([6000, 1000]);
    expect(data.train.x.shape).to.deep.equal([6000, 28, 28, 1]);
    expect(data.train.y.shape).to.deep.equal([6000, 10]);
    const [min, max] = await Promise.all([data.train.x.min().data(), data.train.x.max().data()]);
    expect([min[0], max[0]]).to.deep.equal([0, 1]);
    expect(data.classNames?.[9]).to.equal('Ankle boot');
    disposeLoaded(data);
  });

  it('reads fashion-mnist from --data-dir and honours limit', async () => {
    const data = await loadDataset('fashion-mnist', { dataDir: EMBEDDED_DATA_DIR, limit: 100 });
    expect(data.train.size).to.equal(100);
    disposeLoaded(data);
  });

  it('names the missing file and the fix when the directory lacks the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchlab-empty-'));
    try {
      const error = await loadDataset('fashion-mnist', { dataDir: dir }).catch((e: Error) => e);
      expect((error as Error).message).to.equal(
        `data set fashion-mnist: ${join(dir, 'train-images-idx3-ubyte')}[.gz] not found`,
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('generates seeded synthetic sets with a standardised test part', async () => {
    const a = await loadDataset('blobs', { seed: 3, samples: 500 });
    const b = await loadDataset('blobs', { seed: 3, samples: 500 });
    expect([a.train.size, a.test?.size]).to.deep.equal([500, 100]);
    expect(Array.from(await a.train.x.data())).to.deep.equal(Array.from(await b.train.x.data()));
    const mean = await tf.mean(a.train.x, 0).data();
    mean.forEach((m) => expect(m).to.be.closeTo(0, 1e-5));
    const spirals = await loadDataset('spirals', { samples: 100 });
    const regression = await loadDataset('linear', { samples: 100 });
    expect(spirals.train.numClasses).to.equal(2);
    expect(regression.train.task).to.equal('regression');
    [a, b, spirals, regression].forEach(disposeLoaded);
  });

  it('rejects unknown names and bad limits', async () => {
    const unknown = await loadDataset('imagenet').catch((e: Error) => e);
    expect((unknown as Error).message).to.match(
      /unknown data set "imagenet"; known: fashion-mnist-small, fashion-mnist/,
    );
    const limit = await loadDataset('blobs', { limit: 0 }).catch((e: Error) => e);
    expect((limit as Error).message).to.equal('limit must be a positive integer, got 0');
  });
});
