// Synthetic data generators: determinism by seed, shapes, balanced round-robin classes, and the
// generating rules checked against closed-form values.
import { expect } from 'chai';
import { gaussianBlobs, linearRegression, twoSpirals } from '../../src/data/synthetic';

function classCounts(targets: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < targets.length; i++) counts[targets[i]]++;
  return counts;
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

describe('gaussianBlobs', () => {
  it('gives identical arrays for one seed and different ones for another', () => {
    const a = gaussianBlobs({ samples: 50, seed: 7 });
    const b = gaussianBlobs({ samples: 50, seed: 7 });
    const c = gaussianBlobs({ samples: 50, seed: 8 });
    expect(a.features).to.deep.equal(b.features);
    expect(a.targets).to.deep.equal(b.targets);
    expect(a.features).to.not.deep.equal(c.features);
  });

  it('has shape [samples, features] and round-robin balanced classes', () => {
    const data = gaussianBlobs({ samples: 10, classes: 3, features: 5, seed: 1 });
    expect(data.inputShape).to.deep.equal([5]);
    expect(data.features).to.be.instanceOf(Float32Array).with.lengthOf(50);
    expect(Array.from(data.targets)).to.deep.equal([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    expect(classCounts(data.targets, 3)).to.deep.equal([4, 3, 3]);
  });

  it('centres the classes on a circle of radius 4, evenly spaced', () => {
    const classes = 4;
    const features = 3;
    const data = gaussianBlobs({ samples: 4000, classes, features, spread: 0.5, seed: 3 });
    const centres = Array.from({ length: classes }, (_, k) =>
      Array.from({ length: features }, (_, f) =>
        mean(data.features.filter((_, j) => Math.floor(j / features) % classes === k && j % features === f)),
      ),
    );
    const norm = (v: number[]): number => Math.hypot(...v);
    for (const c of centres) expect(norm(c)).to.be.closeTo(4, 0.05);
    // Neighbours on a circle of 4 evenly spaced points are 4·√2 apart.
    expect(norm(centres[0].map((x, f) => x - centres[1][f]))).to.be.closeTo(4 * Math.SQRT2, 0.1);
  });

  it('places every sample exactly on its centre when spread is 0', () => {
    const data = gaussianBlobs({ samples: 6, classes: 3, spread: 0, seed: 2 });
    expect(Array.from(data.features.slice(0, 6))).to.deep.equal(Array.from(data.features.slice(6, 12)));
  });

  it('rejects bad arguments naming the argument and value', () => {
    expect(() => gaussianBlobs({ samples: 0, seed: 1 })).to.throw(/samples must be .* got 0/);
    expect(() => gaussianBlobs({ samples: 2.5, seed: 1 })).to.throw(/samples .* got 2\.5/);
    expect(() => gaussianBlobs({ samples: 10, classes: 1, seed: 1 })).to.throw(/classes .* got 1/);
    expect(() => gaussianBlobs({ samples: 10, features: 1, seed: 1 })).to.throw(/features .* got 1/);
    expect(() => gaussianBlobs({ samples: 10, spread: -1, seed: 1 })).to.throw(/spread .* got -1/);
    expect(() => gaussianBlobs({ samples: 10, seed: 0.5 })).to.throw(/seed .* got 0\.5/);
  });
});

describe('twoSpirals', () => {
  it('gives identical arrays for one seed and different ones for another', () => {
    const a = twoSpirals({ samples: 40, seed: 11 });
    expect(a.features).to.deep.equal(twoSpirals({ samples: 40, seed: 11 }).features);
    expect(a.features).to.not.deep.equal(twoSpirals({ samples: 40, seed: 12 }).features);
  });

  it('has 2 features and alternating classes', () => {
    const data = twoSpirals({ samples: 7, seed: 1 });
    expect(data.inputShape).to.deep.equal([2]);
    expect(data.features).to.have.lengthOf(14);
    expect(Array.from(data.targets)).to.deep.equal([0, 1, 0, 1, 0, 1, 0]);
  });

  it('puts noise-free points on the arms: angle = 3π·r/4 + π·class (mod 2π)', () => {
    const data = twoSpirals({ samples: 200, noise: 0, seed: 5 });
    for (let i = 0; i < 200; i++) {
      const [x, y] = [data.features[2 * i], data.features[2 * i + 1]];
      const r = Math.hypot(x, y);
      expect(r).to.be.below(4);
      const expected = (3 * Math.PI * r) / 4 + Math.PI * data.targets[i];
      const diff = Math.atan2(y, x) - expected;
      expect(Math.abs(Math.atan2(Math.sin(diff), Math.cos(diff)))).to.be.below(1e-4 / Math.max(r, 1e-3) + 1e-5);
    }
  });

  it('rejects a negative noise naming the argument', () => {
    expect(() => twoSpirals({ samples: 10, noise: -0.1, seed: 1 })).to.throw(/noise .* got -0\.1/);
    expect(() => twoSpirals({ samples: -3, seed: 1 })).to.throw(/samples .* got -3/);
  });
});

describe('linearRegression', () => {
  it('gives identical data and coefficients for one seed, different for another', () => {
    const a = linearRegression({ samples: 30, seed: 4 });
    const b = linearRegression({ samples: 30, seed: 4 });
    expect(a.features).to.deep.equal(b.features);
    expect(a.targets).to.deep.equal(b.targets);
    expect(a.weights).to.deep.equal(b.weights);
    expect(a.bias).to.equal(b.bias);
    expect(a.weights).to.not.deep.equal(linearRegression({ samples: 30, seed: 5 }).weights);
  });

  it('has shape [samples, features] and one float target per sample', () => {
    const data = linearRegression({ samples: 8, features: 3, seed: 1 });
    expect(data.inputShape).to.deep.equal([3]);
    expect(data.features).to.have.lengthOf(24);
    expect(data.targets).to.be.instanceOf(Float32Array).with.lengthOf(8);
    expect(data.weights).to.have.lengthOf(3);
  });

  it('gives targets exactly x·w + b when noise is 0', () => {
    const data = linearRegression({ samples: 5, features: 2, noise: 0, seed: 9 });
    for (let i = 0; i < 5; i++) {
      const y = data.bias + data.features[2 * i] * data.weights[0] + data.features[2 * i + 1] * data.weights[1];
      expect(data.targets[i]).to.equal(Math.fround(y));
    }
  });

  it('recovers w and b by closed-form least squares (1 feature)', () => {
    const { features: x, targets: y, weights, bias } = linearRegression({ samples: 20000, features: 1, seed: 2 });
    const mx = mean(x);
    const my = mean(y);
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) ** 2;
    }
    const slope = sxy / sxx;
    expect(slope).to.be.closeTo(weights[0], 0.005);
    expect(my - slope * mx).to.be.closeTo(bias, 0.005);
  });

  it('leaves residuals with variance noise² about the true coefficients', () => {
    const noise = 0.3;
    const data = linearRegression({ samples: 20000, features: 4, noise, seed: 3 });
    let ss = 0;
    for (let i = 0; i < 20000; i++) {
      let fit = data.bias;
      for (let f = 0; f < 4; f++) fit += data.features[4 * i + f] * data.weights[f];
      ss += (data.targets[i] - fit) ** 2;
    }
    expect(ss / 20000).to.be.closeTo(noise ** 2, 0.05 * noise ** 2);
  });

  it('rejects bad arguments naming the argument and value', () => {
    expect(() => linearRegression({ samples: 10, features: 0, seed: 1 })).to.throw(/features .* got 0/);
    expect(() => linearRegression({ samples: 10, noise: Number.NaN, seed: 1 })).to.throw(/noise .* got NaN/);
    expect(() => linearRegression({ samples: Number.POSITIVE_INFINITY, seed: 1 })).to.throw(/samples .* got Infinity/);
  });
});
