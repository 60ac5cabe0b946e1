// .ci/apt-sources.sh, which .ci/run uses to add bookworm-backports from the archive the machine's
// apt configuration already names; fed sample files in both of apt's formats.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', '.ci', 'apt-sources.sh');

function bash(command: string, ...args: string[]): string {
  const result = spawnSync('bash', ['-c', `. "${SCRIPT}"; ${command}`, 'test', ...args], { encoding: 'utf8' });
  expect(result.status, result.stderr).to.equal(0);
  return result.stdout;
}

const suiteUri = (suite: string, ...files: string[]): string => bash('apt_suite_uri "$@"', suite, ...files).trim();

describe('.ci/apt-sources.sh', () => {
  let dir: string;
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-apt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  /** A local archive's address under this test's directory: each entry names one, none names a host. */
  const uri = (name: string): string => `file://${dir}/${name}`;

  it('finds the archive whose suites include the codename in deb822 files, not security or deb-src', () => {
    const sources = write(
      'debian.sources',
      [
        '# a snapshot, commented out',
        'Types: deb-src',
        `URIs: ${uri('src')}/debian`,
        'Suites: bookworm',
        'Components: main',
        '',
        'Types: deb',
        `URIs: ${uri('security')}/debian-security`,
        'Suites: bookworm-security',
        'Components: main',
        '',
        'Types: deb',
        `URIs: ${uri('off')}/debian`,
        'Suites: bookworm',
        'Enabled: no',
        '',
        'types: deb deb-src',
        `URIs: ${uri('mirror')}/debian`,
        'Suites:',
        ' bookworm-updates',
        ' bookworm',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      ].join('\n'),
    );
    expect(suiteUri('bookworm', sources)).to.equal(`${uri('mirror')}/debian`);
    expect(suiteUri('bookworm-security', sources)).to.equal(`${uri('security')}/debian-security`);
    expect(suiteUri('bookworm-backports', sources)).to.equal('');
  });

  it('reads one-line entries with options and comments', () => {
    const list = write(
      'sources.list',
      [
        `# deb ${uri('old')}/debian bookworm main`,
        `deb-src ${uri('src')}/debian bookworm main`,
        `deb ${uri('security')}/debian-security bookworm-security main`,
        `  deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] ${uri('mirror')}/debian bookworm main # the archive`,
      ].join('\n'),
    );
    expect(suiteUri('bookworm', list)).to.equal(`${uri('mirror')}/debian`);
    expect(suiteUri('bookworm', write('empty.list', ''))).to.equal('');
    expect(suiteUri('bookworm')).to.equal('');
  });

  it('takes the first match across files, and lists only the files that exist', () => {
    write('apt/sources.list.d/a.list', `deb ${uri('first')}/debian bookworm main\n`);
    write('apt/sources.list.d/b.sources', `Types: deb\nURIs: ${uri('second')}/debian\nSuites: bookworm\n`);
    write('apt/sources.list.d/notes.txt', `deb ${uri('ignored')}/debian bookworm main\n`);
    const files = bash('apt_source_files "$1"', join(dir, 'apt')).trim().split('\n');
    expect(files).to.deep.equal([join(dir, 'apt/sources.list.d/a.list'), join(dir, 'apt/sources.list.d/b.sources')]);
    expect(suiteUri('bookworm', ...files)).to.equal(`${uri('first')}/debian`);
    expect(suiteUri('bookworm', ...files.reverse())).to.equal(`${uri('second')}/debian`);
  });
});
