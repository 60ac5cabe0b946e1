// Ctrl-C and SIGTERM on a real `batchlab train` process: it writes the history of the finished
// epochs and the model as it was after the last of them, says where, and exits 130 or 143. The
// model is checked against a run of exactly that many epochs (or the initial weights), which the
// same seed makes identical on one backend.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mlp } from '../../models';
import { loadModel } from '../../src/io/model-files';
import { batchlab, startBatchlab } from '../helpers/batchlab-cli';

// SGD on 1000 samples: 1000 updates an epoch, so a signal lands inside an epoch; cpu for exact repeats.
const RUN = ['--limit', '1000', '--hidden', '16', '--strategy', 'sgd', '--backend', 'cpu', '--seed', '3'];

interface Interrupted {
  status: number | null;
  stdout: string;
  stderr: string;
  history: { epochs: unknown[]; updates: { epoch: number }[]; stopReason: { kind: string; message: string } };
  finished: number;
}

async function interrupt(out: string, signal: NodeJS.Signals, after: RegExp): Promise<Interrupted> {
  const run = startBatchlab('train', ...RUN, '--epochs', '100', '--out', out);
  await run.waitFor(after);
  run.child.kill(signal);
  const { status } = await run.exited;
  const stderr = run.stderr();
  const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as Interrupted['history'];
  // Epoch lines are printed for finished epochs only; the signal may land in any later epoch.
  const finished = (stderr.match(/^epoch \d+\/100 /gm) ?? []).length;
  return { status, stdout: run.stdout(), stderr, history, finished };
}

/** The model in `out` is the one `epochs` whole epochs of RUN give (0: the initial weights). */
async function expectModelAfter(out: string, epochs: number, dir: string): Promise<void> {
  if (epochs === 0) {
    const { model } = await loadModel(join(out, 'model'));
    const initial = mlp({ hidden: [16] }).build({ inputShape: [28, 28, 1], outputs: 10 }, 3);
    const [saved, expected] = [model, initial].map((m) => m.getWeights().map((w) => Array.from(w.dataSync())));
    model.dispose();
    initial.dispose();
    expect(saved).to.deep.equal(expected);
    return;
  }
  // The same run stopped by its epoch count after that many epochs has the same weights, byte for byte.
  const reference = join(dir, `reference-${epochs}`);
  const whole = batchlab('train', ...RUN, '--epochs', String(epochs), '--quiet', '--out', reference, '--overwrite');
  expect(whole.status, whole.stderr).to.equal(0);
  const weights = (d: string) => readFileSync(join(d, 'model', 'weights.bin'));
  expect(weights(out).equals(weights(reference))).to.equal(true);
}

describe('batchlab train interrupted', function () {
  this.timeout(240000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-interrupt-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Ctrl-C (SIGINT) during an epoch: exit 130, the finished epochs and the model after the last one', async () => {
    const out = join(dir, 'sigint');
    const run = await interrupt(out, 'SIGINT', /^epoch 1\/100 /m);
    expect(run.status, run.stderr).to.equal(130);
    expect(run.finished).to.be.at.least(1);
    expect(run.history.epochs).to.have.length(run.finished);
    expect(run.history.updates.every((u) => u.epoch < run.finished)).to.equal(true);
    expect(run.history.stopReason.kind).to.equal('interrupted');
    expect(run.history.stopReason.message).to.match(
      new RegExp(`^interrupted during epoch ${run.finished + 1} \\(after \\d+ of 1000 updates\\)`),
    );
    expect(run.stderr).to.match(/SIGINT: stopping; writing the finished epochs/);
    expect(run.stdout).to.include(`history: ${join(out, 'history.json')}`);
    expect(run.stdout).to.include(`model:   ${join(out, 'model', 'model.json')}`);
    await expectModelAfter(out, run.finished, dir);
  });

  it('SIGTERM early in the run: exit 143, the finished epochs (none, as a rule) and the weights after them', async () => {
    const out = join(dir, 'sigterm');
    const run = await interrupt(out, 'SIGTERM', /^strategy: sgd/m);
    expect(run.status, run.stderr).to.equal(143);
    expect(run.history.epochs).to.have.length(run.finished);
    expect(run.stdout).to.include(`history: ${join(out, 'history.json')}`);
    expect(run.history.stopReason.message).to.include(
      `the history keeps the ${run.finished} finished epoch${run.finished === 1 ? '' : 's'}`,
    );
    await expectModelAfter(out, run.finished, dir);
  });
});
