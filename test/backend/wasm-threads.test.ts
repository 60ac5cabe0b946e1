import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/backend';
import { availableCores, coresFromCpuMax, defaultThreads } from '../../src/backend/thread-count';

/** A convolution and a product run by tfjs' own wasm kernels (XNNPACK), read back. */
function stockResults(): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal<tf.Rank.R4>([4, 12, 12, 8], 0, 1, 'float32', 1);
    const filter = tf.randomNormal<tf.Rank.R4>([3, 3, 8, 16], 0, 1, 'float32', 2);
    const a = tf.randomNormal([96, 200], 0, 1, 'float32', 3);
    const b = tf.randomNormal([200, 64], 0, 1, 'float32', 4);
    return [tf.conv2d(x, filter, 1, 'same'), tf.matMul(a, b)].map((t) => t.dataSync() as Float32Array);
  });
}

describe("tfjs' threaded wasm build in Node", () => {
  after(async () => {
    await useBackend('wasm');
  });

  it('starts with the thread count asked for and computes what the one-thread stock build computes', async () => {
    await useBackend('wasm');
    const stock = stockResults();
    for (const threads of [2, 1, 3]) {
      const info = await useBackend('wasm', { threads });
      expect(info.threads, `threads ${threads}`).to.equal(threads);
      expect(info.notes.join(' ')).not.to.match(/one thread/);
      const threaded = stockResults();
      threaded.forEach((values, i) => expect(values, `threads ${threads}, result ${i}`).to.deep.equal(stock[i]));
    }
  });

  it('refuses a thread count that is not a whole number from 1 to 8, naming it', async () => {
    for (const threads of [0, 9, 1.5, Number.NaN]) {
      const error = await useBackend('wasm', { threads }).catch((e: Error) => e);
      expect((error as Error).message).to.equal(`threads must be a whole number from 1 to 8, got ${String(threads)}`);
    }
  });

  it('leaves no thread holding the process: a script that trains on 2 threads exits by itself', function () {
    this.timeout(60_000);
    const script = [
      "const tf = require('@tensorflow/tfjs');",
      `const { useBackend } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'backend'))});`,
      "useBackend('wasm', { threads: 2 }).then((info) => {",
      '  const y = tf.matMul(tf.ones([64, 300]), tf.ones([300, 64]));',
      '  process.stdout.write(`${info.threads} ${y.dataSync()[0]}`);',
      '});',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.error, 'the script did not exit by itself').to.equal(undefined);
    expect(child.status, child.stderr.slice(-2000)).to.equal(0);
    expect(child.stdout).to.equal('2 300');
  });
});

describe('thread-count', () => {
  it('reads a cgroup cpu.max quota as whole cores, rounded up', () => {
    expect(coresFromCpuMax('max 100000\n')).to.equal(null);
    expect(coresFromCpuMax('200000 100000\n')).to.equal(2);
    expect(coresFromCpuMax('150000 100000')).to.equal(2);
    expect(coresFromCpuMax('50000 100000')).to.equal(1);
    expect(coresFromCpuMax('garbage')).to.equal(null);
  });

  it('takes the smaller of affinity and quota, and says which limited it', () => {
    expect(availableCores({ parallelism: 16, cpuMax: '400000 100000' })).to.deep.equal({
      cores: 4,
      limitedBy: 'cgroup quota',
    });
    expect(availableCores({ parallelism: 2, cpuMax: '400000 100000' })).to.deep.equal({
      cores: 2,
      limitedBy: 'affinity',
    });
    expect(availableCores({ parallelism: 3, cpuMax: null })).to.deep.equal({ cores: 3, limitedBy: 'affinity' });
  });

  it('shares the cores among jobs without exceeding them, and caps at 8', () => {
    expect(defaultThreads(1, 2)).to.equal(2);
    expect(defaultThreads(2, 2)).to.equal(1);
    expect(defaultThreads(3, 2)).to.equal(1);
    expect(defaultThreads(2, 5)).to.equal(2);
    expect(defaultThreads(1, 64)).to.equal(8);
  });
});
