import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { miniBatch } from '../../src/batching';
import { InputError } from '../../src/data/input-error';
import { ThroughputOptions, measureThroughput, resolveThroughputOptions } from '../../src/throughput';
import { BatchCycle } from '../../src/throughput/measure-backend';
import { findNativePackage, NATIVE_PACKAGES } from '../../src/backend/native';
import { skipBecause } from '../setup';

/** A small, fast sweep in this process on the tests' wasm backend. */
const tiny: ThroughputOptions = {
  backends: ['wasm'],
  batchSizes: [8, 16],
  model: 'logistic',
  data: 'blobs',
  repeats: 2,
  warmup: 2,
  steps: 3,
  isolate: false,
};

describe('measureThroughput', () => {
  it('cycles through mini-batches of exactly b samples, epoch after epoch (last short batch dropped)', () => {
    const cycle = new BatchCycle(10, 4, 0);
    const strategy = miniBatch(4, { dropLast: true });
    const expected = [...strategy.batches(10, 0, 0), ...strategy.batches(10, 1, 0), ...strategy.batches(10, 2, 0)];
    const got = expected.map(() => Array.from(cycle.next()));
    expect(got).to.deep.equal(expected.map((b) => Array.from(b)));
    expect(got.every((b) => b.length === 4)).to.equal(true);
  });

  it('times the asked steps per repeat; the optimizer counts warm-up plus steps x repeats updates', async () => {
    const sweep = await measureThroughput(tiny);
    expect(sweep.failures).to.deep.equal([]);
    expect(sweep.device.wasm).to.match(/WebAssembly/);
    expect(sweep.points.map((p) => [p.backend, p.batchSize, p.steps, p.updates])).to.deep.equal([
      ['wasm', 8, 3, 2 + 3 * 2],
      ['wasm', 16, 3, 2 + 3 * 2],
    ]);
    for (const p of sweep.points) {
      expect(p.seconds).to.have.length(2);
      p.samplesPerSecond.forEach((rate, i) => expect(rate).to.equal((p.steps * p.batchSize) / p.seconds[i]));
      expect(p.samplesPerSecond.every((r) => r > 0 && Number.isFinite(r))).to.equal(true);
    }
    expect(sweep.settings).to.deep.equal({
      optimizer: 'adam',
      repeats: 2,
      warmup: 2,
      steps: 3,
      seconds: 1,
      seed: 0,
      kernels: true,
    });
    expect(tf.getBackend()).to.equal('wasm');
  });

  it('keeps the tensor count flat across repeats and leaves none behind', async () => {
    const before = tf.memory().numTensors;
    const during: number[] = [];
    await measureThroughput({
      ...tiny,
      model: 'mlp',
      batchNorm: true,
      onRepeat: () => during.push(tf.memory().numTensors),
    });
    expect(during).to.have.length(4);
    expect(new Set(during).size).to.equal(1);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('with seconds, sets a step count per batch size from untimed steps after the warm-up', async () => {
    const sweep = await measureThroughput({ ...tiny, steps: null, seconds: 0.05 });
    for (const p of sweep.points) {
      expect(p.steps).to.be.at.least(1);
      // The calibration groups are updates too, beyond warm-up and the timed steps.
      expect(p.updates).to.be.above(2 + p.steps * 2);
    }
  });

  it('throws an InputError for a batch larger than the data set, naming the option', async () => {
    const error = await measureThroughput({ ...tiny, batchSizes: [8, 5000] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InputError);
    expect((error as Error).message).to.match(
      /^batch size 5000 \(batchSizes, --batch-sizes\) exceeds the \d+ training samples of blobs$/,
    );
  });

  it('reports a backend that does not start, with its reason', async function () {
    if (findNativePackage(NATIVE_PACKAGES))
      skipBecause(this, 'a native tfjs package is installed, so tensorflow starts');
    const sweep = await measureThroughput({ ...tiny, backends: ['tensorflow'] });
    expect(sweep.points).to.deep.equal([]);
    expect(sweep.failures).to.have.length(1);
    expect(sweep.failures[0].backend).to.equal('tensorflow');
    expect(sweep.failures[0].reason).to.match(/not installed/);
    expect(tf.getBackend()).to.equal('wasm');
  });

  it('refuses bad options, naming the option and the value', () => {
    const cases: [ThroughputOptions, RegExp][] = [
      [{ backends: [] }, /backends must be a non-empty list of tensorflow, webgpu, wasm, cpu, got \[\]/],
      [{ backends: ['gpu' as 'cpu'] }, /backends must be a non-empty list of .*, got \["gpu"\]/],
      [{ backends: ['wasm', 'wasm'] }, /backends must not repeat, got \["wasm","wasm"\]/],
      [{ backends: ['wasm', 'cpu'], isolate: false }, /isolate: false measures one backend only/],
      [{ batchSizes: [16, 0] }, /batchSizes must be a non-empty list of positive integers, got \[16,0\]/],
      [{ batchSizes: [16, 16] }, /batchSizes must not repeat, got \[16,16\]/],
      [{ batchSizes: [1, 2], batchNorm: true }, /batchSizes must be at least 2 with batchNorm/],
      [{ model: 'logistic', batchNorm: true }, /model logistic has no BatchNorm to switch on/],
      [{ repeats: 0 }, /repeats must be a positive integer, got 0/],
      [{ warmup: -1 }, /warmup must be a non-negative integer, got -1/],
      [{ steps: 2.5 }, /steps must be a positive integer or null, got 2.5/],
      [{ seconds: 0 }, /seconds must be a positive number, got 0/],
    ];
    for (const [options, message] of cases) expect(() => resolveThroughputOptions(options)).to.throw(message);
  });
});
