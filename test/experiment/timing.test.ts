import { expect } from 'chai';
import { describeBudget, upgradeResult } from '../../src/experiment/result';
import type { RunEpoch, RunResult } from '../../src/experiment/result';
import { timeToTarget, timingOf } from '../../src/experiment/timing';

const epoch = (i: number, seconds: number, updates: number, samples: number, testAccuracy = 0.5): RunEpoch => ({
  epoch: i,
  loss: 1,
  accuracy: 0.4,
  testLoss: 1,
  testAccuracy,
  seconds,
  updates,
  samples,
});

describe('run timing', () => {
  it('takes every rate over the epochs after the first, s/epoch over whole epochs only', () => {
    // 10 updates per epoch; a budget ended the fourth epoch after 2 updates.
    const t = timingOf(
      [epoch(0, 5, 10, 1000), epoch(1, 2, 10, 1000), epoch(2, 3, 10, 1000), epoch(3, 0.5, 2, 200)],
      10,
    );
    expect(t).to.deep.equal({
      basis: 'after the first epoch',
      firstEpochSeconds: 5,
      epochSeconds: 2.5,
      updateSeconds: 5.5 / 22,
      samplesPerSecond: 2200 / 5.5,
      trainingSeconds: 10.5,
      updatesPerEpoch: 10,
    });
  });

  it('falls back to the first epoch with one epoch, and has no s/epoch when it is partial', () => {
    const t = timingOf([epoch(0, 2, 4, 400)], 10);
    expect(t).to.include({ basis: 'first epoch only', epochSeconds: null, updateSeconds: 0.5, samplesPerSecond: 200 });
  });

  it('reports time to target in training seconds, updates and epochs', () => {
    const epochs = [epoch(0, 5, 10, 1000, 0.6), epoch(1, 2, 10, 1000, 0.8)];
    expect(timeToTarget(epochs, 0.75)).to.deep.equal({
      accuracy: 0.75,
      reached: true,
      epoch: 2,
      seconds: 7,
      updates: 20,
    });
    expect(timeToTarget(epochs, 0.9)).to.include({ reached: false, seconds: null });
  });
});

describe('results records', () => {
  it('states a budget as what it is', () => {
    expect(describeBudget({ kind: 'seconds', limit: 3, used: 2.14 })).to.equal('3.0 s budget, 2.1 s used');
    expect(describeBudget({ kind: 'updates', limit: 600, used: 600 })).to.equal('600-update budget, 600 used');
    expect(describeBudget({ kind: 'epochs', limit: 1, used: 1 })).to.equal('1-epoch budget, 1 used');
  });

  it('reads an older record: test metrics from valLoss/valAccuracy, resident bytes from peakBytes', () => {
    const old = {
      id: 'a',
      status: 'ok',
      backend: 'wasm',
      history: {
        epochs: [
          { epoch: 0, loss: 1, accuracy: 0.5, valLoss: 0.9, valAccuracy: 0.6, seconds: 1, updates: 1, samples: 9 },
        ],
        updates: [],
        updateLossEvery: 1,
        stopReason: null,
        trainSize: 9,
      },
      timing: {
        firstEpochSeconds: 1,
        steadyEpochSeconds: null,
        totalSeconds: 1,
        samplesPerSecond: 9,
        updatesPerEpoch: 1,
      },
      memory: { peakBytes: 2048, startTensors: 0, endTensors: 0 },
    } as unknown as RunResult;
    const r = upgradeResult(old);
    expect(r.history?.epochs[0]).to.deep.equal({
      epoch: 0,
      loss: 1,
      accuracy: 0.5,
      testLoss: 0.9,
      testAccuracy: 0.6,
      seconds: 1,
      updates: 1,
      samples: 9,
    });
    expect(r.timing).to.include({ epochSeconds: null, trainingSeconds: 1 });
    expect(r.memory).to.include({ residentBytes: 2048 });
    expect(upgradeResult(r)).to.deep.equal(r);
  });
});
