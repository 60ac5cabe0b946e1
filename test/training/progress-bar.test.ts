import { expect } from 'chai';
import { formatEpoch } from '../../src/training';

describe('formatEpoch', () => {
  const record = {
    epoch: 11,
    loss: 0.5,
    accuracy: 0.8,
    valLoss: 0.6,
    valAccuracy: 0.75,
    seconds: 1.234,
    updates: 1,
    samples: 32,
  };
  it('names the epoch count when it is known, and only the epoch under an updates or seconds budget', () => {
    expect(formatEpoch(record, 20)).to.match(/^epoch 12\/20 {2}loss 0\.5000/);
    expect(formatEpoch(record, Number.MAX_SAFE_INTEGER)).to.match(/^epoch 12 {2}loss/);
  });
  it('labels held-out metrics as validation or test, and counts updates in the singular for one', () => {
    expect(formatEpoch(record, 20)).to.include('val_loss 0.6000  val_acc 75.00%');
    expect(formatEpoch(record, 20, 'test')).to.include('test_loss 0.6000  test_acc 75.00%');
    expect(formatEpoch(record, 20)).to.include('  1 update  1.23s');
  });
});
