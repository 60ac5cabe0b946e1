// Broken spec files (test/corpus/specs) through `batchlab compare --spec`: each exits 2 naming the
// file and the field, and creates no output directory.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
const SPECS = join(__dirname, '..', 'corpus', 'specs');

describe('broken spec files', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-specs-'));
    // Written here: the formatter that checks the repository cannot parse broken YAML.
    writeFileSync(join(dir, 'broken.yaml'), 'budget: [epochs\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, RegExp][] = [
    ['wrong-type.json', /wrong-type\.json: strategies: Expected array, received string$/m],
    ['unknown-key.json', /unknown-key\.json: \(top level\): Unrecognized key\(s\) in object: 'strategy'$/m],
    ['negative.json', /negative\.json: limit: Number must be greater than 0$/m],
    ['huge.json', /huge\.json: checkpoints: Number must be less than or equal to 20$/m],
    ['broken.yaml', /broken\.yaml: not valid YAML: /],
  ];
  for (const [file, pattern] of cases) {
    it(`${file}: exits 2 naming the file and the field, writing nothing`, () => {
      const out = join(dir, `out-${file}`);
      const result = spawnSync(
        process.execPath,
        [
          '--require',
          'tsx/cjs',
          MAIN,
          'compare',
          '--spec',
          join(file.endsWith('.yaml') ? dir : SPECS, file),
          '--quiet',
          '--out',
          join(dir, `out-${file}`),
        ],
        { encoding: 'utf8', timeout: 120000 },
      );
      expect(result.stderr).to.match(pattern);
      expect(result.status).to.equal(2);
      expect(existsSync(out)).to.equal(false);
    });
  }
});
