import { expect } from 'chai';
import { memoryChart, noiseChart, noiseRows } from '../../src/claims/claims-charts';

describe('the claims charts', () => {
  it('draws the closed form (N-B)/(N-1)·c/B through the median c of the measured noise', () => {
    // N = 101: c = B·noise·100/(101-B) is 2 at batch 1, 4 at 11 and 10 at 51; the median is 4.
    const points = [
      { label: 'sgd', batchSize: 1, noise: 2, standardError: 0.1 },
      { label: 'mini:11', batchSize: 11, noise: (4 * 90) / (100 * 11), standardError: 0.1 },
      { label: 'mini:51', batchSize: 51, noise: (10 * 50) / (100 * 51), standardError: 0.1 },
    ];
    const { c, rows } = noiseRows({ trainSize: 101, points });
    expect(c).to.be.closeTo(4, 1e-12);
    const closed = rows.filter((r) => r.series !== 'measured').map((r) => r.noise);
    const expected = [(4 * 100) / (100 * 1), (4 * 90) / (100 * 11), (4 * 50) / (100 * 51)];
    closed.forEach((v, i) => expect(v).to.be.closeTo(expected[i], 1e-12));
    expect(rows.filter((r) => r.series === 'measured').map((r) => r.noise)).to.deep.equal(points.map((p) => p.noise));
    const chart = noiseChart({ trainSize: 101, points });
    expect(chart?.note[0]).to.match(/N = 101; c = 4\.00 \(median over batch sizes\)/);
  });

  it('draws nothing without evidence', () => {
    expect(noiseChart({ trainSize: 10, points: [] })).to.equal(null);
    expect(memoryChart([])).to.equal(null);
  });
});
