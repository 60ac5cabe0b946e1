import { expect } from 'chai';
import { budgetCallback, budgetLimit, epochsFor, parseBudget } from '../../src/experiment/budget';
import type { EpochRecord, StopReason, TrainControl } from '../../src/training';

/** A control that records the stop reason, as the trainer's does. */
function control(): TrainControl & { reason: string | null } {
  let stopped: StopReason | null = null;
  const c = {
    reason: null as string | null,
    stop(reason: StopReason) {
      stopped ??= reason;
      if (c.reason === null) c.reason = `${reason.kind}: ${reason.message}`;
    },
    get stopReason() {
      return stopped;
    },
  };
  return c;
}

const epoch = (seconds: number): EpochRecord => ({
  epoch: 0,
  loss: 1,
  accuracy: null,
  valLoss: null,
  valAccuracy: null,
  seconds,
  updates: 10,
  samples: 100,
});

const step = { epoch: 0, step: 0, stepsInEpoch: 10, updates: 1 };

describe('budgets', () => {
  it('a seconds budget counts training only: time spent after an epoch (test evaluation, probes) is not counted', async () => {
    let clock = 0;
    const cb = budgetCallback({ kind: 'seconds', seconds: 2 }, () => clock);
    const c = control();
    await cb?.onTrainBegin?.({
      epochs: 1,
      updatesPerEpoch: 10,
      trainSize: 100,
      strategy: 'mini:10',
      model: 'm',
      completedEpochs: [],
    });
    clock = 1000;
    cb?.onStep?.(step, c);
    // The epoch's updates took 1 s; evaluation and probes then take 4 s before the next epoch starts.
    clock = 5000;
    await cb?.onEpochEnd?.(epoch(1), c);
    clock = 5900;
    cb?.onStep?.(step, c);
    expect(c.reason).to.equal(null);
    clock = 6000;
    cb?.onStep?.(step, c);
    expect(c.reason).to.equal('budget: budget: 2 seconds of training');
  });

  it('an updates budget stops at the update that spends it', () => {
    const cb = budgetCallback({ kind: 'updates', updates: 3 });
    const c = control();
    cb?.onStep?.({ ...step, updates: 2 }, c);
    expect(c.reason).to.equal(null);
    cb?.onStep?.({ ...step, updates: 3 }, c);
    expect(c.reason).to.equal('budget: budget: 3 updates');
  });

  it('gives the trainer epochs enough for the budget, and states the limit in its own unit', () => {
    expect(epochsFor(parseBudget('updates:25'), 10)).to.equal(3);
    expect(epochsFor(parseBudget('4'), 10)).to.equal(4);
    expect(budgetCallback(parseBudget('epochs:2'))).to.equal(null);
    expect(['epochs:2', 'updates:600', 'seconds:1.5'].map((t) => budgetLimit(parseBudget(t)))).to.deep.equal([
      2, 600, 1.5,
    ]);
    expect(() => parseBudget('minutes:3')).to.throw(/budget "minutes:3" is not one of epochs/);
  });
});
