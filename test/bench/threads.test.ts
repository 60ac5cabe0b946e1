import { expect } from 'chai';
import { nthOf, type ThreadCase } from '../../scripts/bench/threads';

const base: ThreadCase = { model: 'MLP', batchNorm: true, strategy: 'mini:128', samples: 5888, epochs: 1 };

describe("bench: the thread section's separate processes", () => {
  it('give each of n processes 1/n of the samples and of the batch', () => {
    expect(nthOf(base, 2)).to.deep.equal({ ...base, strategy: 'mini:64', samples: 2944 });
    expect(nthOf({ ...base, strategy: 'full', samples: 4096, epochs: 4 }, 4)).to.deep.equal({
      ...base,
      strategy: 'full',
      samples: 1024,
      epochs: 4,
    });
  });

  it('are left out where the samples or the batch do not divide, or the strategy has no batch to cut', () => {
    expect(nthOf(base, 3)).to.equal(null);
    expect(nthOf({ ...base, samples: 5887 }, 2)).to.equal(null);
    expect(nthOf({ ...base, strategy: 'mini:30', samples: 600 }, 4)).to.equal(null);
    expect(nthOf({ ...base, strategy: 'sgd', samples: 1024 }, 2)).to.equal(null);
  });
});
