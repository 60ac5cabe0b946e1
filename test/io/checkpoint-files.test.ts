import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDirAtomic } from '../../src/io/atomic-dir';
import { checkpointEpochs, readLatestCheckpoint, writeCheckpointFiles } from '../../src/io/checkpoint-files';

describe('checkpoint files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-checkpoint-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back the state (non-finite numbers included) and the tensors, float32 and int32, exactly', async () => {
    const state = { losses: [0.5, NaN, Infinity, -Infinity], note: 'NaN', nested: { nonFinite: 'x' } };
    const tensors = [
      { name: 'model/0', shape: [2, 2], values: Float32Array.of(1.5, -0, 3e-39, 1 / 3) },
      { name: 'optimizer/0', shape: [], values: Int32Array.of(1234567) },
      { name: 'adam/accBeta1', shape: [], values: Float32Array.of(0.9 ** 7) },
    ];
    await writeCheckpointFiles(dir, 3, state, tensors);
    const read = await readLatestCheckpoint(dir);
    expect(read.epoch).to.equal(3);
    expect(read.path).to.equal(join(dir, 'epoch-000003'));
    expect(read.state).to.deep.equal(state);
    expect(read.tensors).to.deep.equal(tensors);
  });

  it('keeps only the latest epoch and removes what killed writers left', async () => {
    mkdirSync(join(dir, '.epoch-000009.42.0badc0de.tmp'));
    await writeCheckpointFiles(dir, 1, {}, []);
    await writeCheckpointFiles(dir, 2, {}, []);
    expect(readdirSync(dir)).to.deep.equal(['epoch-000002']);
    expect(await checkpointEpochs(join(dir, 'missing'))).to.deep.equal([]);
  });

  it('names the file at fault: a truncated tensors.bin, a state.json of something else, an empty directory', async () => {
    const failure = () => readLatestCheckpoint(dir).catch((e: Error) => e.message);
    expect(await failure()).to.equal(`${dir} holds no checkpoint (no epoch-NNNNNN directory)`);
    await writeCheckpointFiles(dir, 1, {}, [{ name: 'w', shape: [3], values: Float32Array.of(1, 2, 3) }]);
    truncateSync(join(dir, 'epoch-000001', 'tensors.bin'), 8);
    expect(await failure()).to.equal(
      `${join(dir, 'epoch-000001', 'tensors.bin')} holds 8 bytes but its 1 tensors need 12`,
    );
    writeFileSync(join(dir, 'epoch-000001', 'state.json'), '{"format": "other"}');
    expect(await failure()).to.match(
      /state\.json is not a batchlab checkpoint \(format batchlab-checkpoint, version 1\)/,
    );
  });

  it('writes a directory whole or not at all', async () => {
    const target = join(dir, 'a', 'b');
    await writeDirAtomic(target, { 'x.txt': 'old' });
    await writeDirAtomic(target, { 'y.txt': 'new' });
    expect(readdirSync(target)).to.deep.equal(['y.txt']);
    // A file that cannot be written (its name points into a missing folder) fails the whole write.
    const error = await writeDirAtomic(join(dir, 'c'), { 'ok.txt': '1', 'no/such.txt': '2' }).catch((e: Error) => e);
    expect(error).to.be.instanceOf(Error);
    expect(readdirSync(dir).sort()).to.deep.equal(['a']);
  });
});
