// Broken spec files (test/corpus/specs) through `batchlab compare --spec`: each exits 2 naming the
// file, the field and the value, before any training, and leaves the output directory as it was:
// not created where there was none, and with its files unchanged where there was one. Among them,
// specs that parse but cannot run on their data (a batch or micro-batch too large, a model the
// data's samples do not fit, a target accuracy for regression, too many runs) and huge values.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchlab } from '../helpers/batchlab-cli';

const SPECS = join(__dirname, '..', 'corpus', 'specs');

const cases: [string, RegExp][] = [
  ['wrong-type.json', /wrong-type\.json: strategies: Expected array, received string$/m],
  ['unknown-key.json', /unknown-key\.json: \(top level\): Unrecognized key\(s\) in object: 'strategy'$/m],
  ['negative.json', /negative\.json: limit: Number must be greater than 0$/m],
  ['huge.json', /huge\.json: checkpoints: Number must be less than or equal to 20$/m],
  ['broken.yaml', /broken\.yaml: not valid YAML: /],
  [
    'huge-epochs.json',
    /huge-epochs\.json: budget: budget "epochs:100000000": at most 10000 epochs per run, got 100000000$/m,
  ],
  ['huge-seconds.json', /huge-seconds\.json: budget: at most 604800 seconds per run, got 1000000000$/m],
  ['huge-seeds.json', /huge-seeds\.json: seeds: at most 1000 seeds per configuration, got 100000$/m],
  ['huge-learning-rate.json', /huge-learning-rate\.json: learningRates\[1\]: at most 10, got 1000$/m],
  [
    'batch-larger-than-data.json',
    /batch-larger-than-data\.json: strategies\[1\]: mini:5000: batch size 5000 is larger than the 1000 training samples of blobs \(the first 1000\); use a smaller n or full$/m,
  ],
  [
    'micro-batch-larger-than-batch.json',
    /micro-batch-larger-than-batch\.json: strategies\[0\]: mini:100\/micro:500: micro-batch 500 is larger than its batch of 100; give a smaller m or leave out \/micro:$/m,
  ],
  [
    'cnn-on-vectors.json',
    /cnn-on-vectors\.json: models\[1\]: cnn: cannot train on blobs: cnn needs image input \[height, width, channels\], got \[2\]$/m,
  ],
  [
    'target-on-regression.json',
    /target-on-regression\.json: target: 0\.9: linear is a regression data set: it has no accuracy to reach$/m,
  ],
  [
    'too-many-runs.json',
    /too-many-runs\.json: the experiment has 24000 runs \(1 model x 6 strategies x 2 BN settings x 2 optimizers x 1 learning rate x 1000 seeds\); an experiment runs at most 10000$/m,
  ],
];

/** Every file under `dir` with its contents, to show that a refused command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

describe('broken spec files', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-specs-'));
    // Written here: the formatter that checks the repository cannot parse broken YAML.
    writeFileSync(join(dir, 'broken.yaml'), 'budget: [epochs\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [file, pattern] of cases) {
    it(`${file}: exits 2 naming the file and the field, writing nothing`, () => {
      const out = join(dir, `out-${file}`);
      const spec = join(file.endsWith('.yaml') ? dir : SPECS, file);
      const result = batchlab('compare', '--spec', spec, '--quiet', '--out', out);
      expect(result.stderr).to.match(pattern);
      expect(result.status).to.equal(2);
      expect(existsSync(out)).to.equal(false);
    });
  }

  it('leaves an existing output directory as it was when the data cannot run the spec', () => {
    const out = join(dir, 'out-existing');
    mkdirSync(out);
    writeFileSync(join(out, 'spec.json'), '{ "name": "an earlier experiment" }\n');
    writeFileSync(join(out, 'notes.txt'), 'kept\n');
    const before = snapshot(out);
    const result = batchlab('compare', '--spec', join(SPECS, 'batch-larger-than-data.json'), '--quiet', '--out', out);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/mini:5000: batch size 5000 is larger than the 1000 training samples/);
    expect(snapshot(out)).to.deep.equal(before);
  });
});
