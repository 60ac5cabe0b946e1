import { expect } from 'chai';
import { MemoryPoint, checkMemoryClaim, memoryEvidence } from '../../src/claims/memory-claim';
import { run } from '../report/fixtures';

/** A fixed 1000 B plus `perSample` bytes for each sample above the first. */
const point = (label: string, batchSize: number, perSample: number): MemoryPoint => ({
  label,
  batchSize,
  updatePeakBytes: 1000 + (batchSize - 1) * perSample,
});

describe('claim: a mini-batch needs memory for n samples, full batch for N', () => {
  it('holds when the peak rises with the batch and grows per sample within a factor 2 (100, 120, 150 B)', () => {
    const points = [
      point('full', 6000, 150),
      point('sgd', 1, 0),
      point('mini:32', 32, 100),
      point('mini:256', 256, 120),
    ];
    const check = checkMemoryClaim(points, 'memory-vs-batch');
    expect(check.verdict).to.deep.equal({ kind: 'holds', text: 'holds here' });
    expect(check.evidence).to.equal(
      'update peak: sgd (1) 1000 B, mini:32 (32) 4.00 KB, mini:256 (256) 30.9 KB, full (6000) 880 KB; ' +
        'per sample above batch 1: 100 B, 120 B, 150 B',
    );
    expect(check.plot).to.equal('memory-vs-batch');
  });

  it('does not hold when a larger batch needs no more memory', () => {
    const points = [
      point('sgd', 1, 0),
      point('mini:32', 32, 100),
      { label: 'mini:256', batchSize: 256, updatePeakBytes: 4100 },
    ];
    expect(checkMemoryClaim(points, null).verdict).to.deep.equal({
      kind: 'does not hold',
      text: 'does not hold here: mini:256 needs no more than mini:32',
    });
  });

  it('holds in part when the smallest batches share one peak and it grows per sample from the largest of them on', () => {
    // 5000 B up to batch 32 (the update of the weights), then 5000 + 100 B and 120 B per sample above 32.
    const points = [
      { label: 'sgd', batchSize: 1, updatePeakBytes: 5000 },
      { label: 'mini:32', batchSize: 32, updatePeakBytes: 5000 },
      { label: 'mini:256', batchSize: 256, updatePeakBytes: 5000 + 224 * 100 },
      { label: 'full', batchSize: 6000, updatePeakBytes: 5000 + 5968 * 120 },
    ];
    const check = checkMemoryClaim(points, null);
    expect(check.evidence).to.equal(
      'update peak: sgd (1) 4.88 KB, mini:32 (32) 4.88 KB, mini:256 (256) 26.8 KB, full (6000) 704 KB; ' +
        'per sample above batch 32: 100 B, 120 B',
    );
    expect(check.verdict).to.deep.equal({
      kind: 'holds in part',
      text:
        'holds here in part: sgd and mini:32 need the same 4.88 KB (the update of the weights sets it); ' +
        'from mini:32 on the peak grows with the samples',
    });
    // Past the shared peak the growths must still agree within a factor 2.
    const uneven = [...points.slice(0, 3), { label: 'full', batchSize: 6000, updatePeakBytes: 5000 + 5968 * 300 }];
    expect(checkMemoryClaim(uneven, null).verdict.text).to.equal(
      'does not hold here: the growth per sample varies 3.00-fold across batch sizes (more than 2)',
    );
  });

  it('does not hold when a shared peak leaves fewer than two larger batch sizes, or all share it', () => {
    const shared = (batchSize: number, label: string): MemoryPoint => ({ label, batchSize, updatePeakBytes: 5000 });
    const oneAbove = [shared(1, 'sgd'), shared(32, 'mini:32'), point('full', 6000, 100)];
    expect(checkMemoryClaim(oneAbove, null).verdict.text).to.equal(
      'does not hold here: mini:32 needs no more than sgd',
    );
    const flat = [shared(1, 'sgd'), shared(32, 'mini:32'), shared(256, 'mini:256')];
    const check = checkMemoryClaim(flat, null);
    expect(check.verdict.text).to.equal('does not hold here: mini:256 needs no more than mini:32');
    expect(check.evidence).to.equal('update peak: sgd (1) 4.88 KB, mini:32 (32) 4.88 KB, mini:256 (256) 4.88 KB');
  });

  it('does not hold when the growth per sample varies more than 2-fold (100 B at 32, 300 B at full)', () => {
    const points = [point('sgd', 1, 0), point('mini:32', 32, 100), point('full', 6000, 300)];
    expect(checkMemoryClaim(points, null).verdict.text).to.equal(
      'does not hold here: the growth per sample varies 3.00-fold across batch sizes (more than 2)',
    );
  });

  it('cannot be checked with fewer than three batch sizes', () => {
    const check = checkMemoryClaim([point('sgd', 1, 0), point('full', 6000, 100)], null);
    expect(check.verdict).to.deep.equal({
      kind: 'cannot be checked',
      text: 'cannot be checked here: 2 batch sizes measured, 3 needed',
    });
    expect(checkMemoryClaim([], null).evidence).to.equal('no run measured its update memory');
  });

  it('takes the first seed of the BN-off runs that measured memory, one per batch size, smallest first', () => {
    const measured = (
      strategy: string,
      batchSize: number,
      peak: number,
      extra: { bn?: boolean; seed?: number } = {},
    ) => ({
      ...run({ strategy, ...extra }),
      batchSize,
      memory: { updatePeakBytes: peak, residentBytes: 0, maxRssBytes: 0, startTensors: 0, endTensors: 0 },
    });
    const results = [
      measured('full', 320, 9000, { seed: 1 }),
      measured('full', 320, 8000),
      measured('mini:32', 32, 3000),
      measured('mini:32', 32, 5000, { bn: true }),
      run({ strategy: 'sgd', error: 'out of memory' }),
      measured('sgd', 1, 500, { seed: 1 }),
    ];
    expect(memoryEvidence(results)).to.deep.equal([
      { label: 'mini:32', batchSize: 32, updatePeakBytes: 3000 },
      { label: 'full', batchSize: 320, updatePeakBytes: 8000 },
    ]);
  });
});
