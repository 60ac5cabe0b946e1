// `batchlab compare` with a learning-rate schedule its runs cannot hold: refused before any training
// with exit status 2, naming the flag or the spec file's field, the strategy and the run's length,
// and nothing written; the same schedule where it fits runs.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchlab } from '../helpers/batchlab-cli';

const EXPERIMENT = ['compare', '--data', 'blobs', '--limit', '100', '--strategies', 'full', '--quiet'];

describe('compare refuses a schedule that does not fit its runs', function () {
  this.timeout(120000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'batchlab-schedule-fit-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('named by its flag, before anything is written', () => {
    const out = join(dir, 'flag');
    // full batch, 2 epochs: 2 updates, both of them warm-up.
    const args = [...EXPERIMENT, '--budget', 'epochs:2', '--lr-schedules', 'constant,warmup:2+cosine', '--out', out];
    const { status, stderr } = batchlab(...args);
    expect(stderr).to.include(
      "batchlab: --lr-schedules warmup:2+cosine: does not fit the runs of strategy full (1 update an epoch, 2 in the budget): warmup: 2 updates of warm-up leave none of the run's 2 for cosine\n",
    );
    expect(status).to.equal(2);
    expect(existsSync(out)).to.equal(false);
  });

  it("named by the spec file's field, and run where the budget holds it", () => {
    const spec = join(dir, 'exp.json');
    writeFileSync(spec, JSON.stringify({ data: 'blobs', strategies: ['full'], lrSchedules: ['warmup:1ep'] }));
    const out = join(dir, 'spec');
    const refused = batchlab(...EXPERIMENT, '--spec', spec, '--budget', 'epochs:1', '--out', out);
    expect(refused.stderr).to.include(
      `batchlab: ${spec}: lrSchedules[0]: warmup:1ep: does not fit the runs of strategy full (1 update an epoch, 1 in the budget): its warm-up of 1 update does not end within the 1 update it has: the run never trains at its peak rate`,
    );
    expect(refused.status).to.equal(2);
    expect(existsSync(out)).to.equal(false);

    const ran = batchlab(...EXPERIMENT, '--spec', spec, '--budget', 'epochs:2', '--out', out);
    expect(ran.status, ran.stderr).to.equal(0);
    const [result] = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(result)).to.deep.include({ status: 'ok' });
  });
});
