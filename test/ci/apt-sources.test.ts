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

  it('finds the archive whose suites include the codename in deb822 files, not security or deb-src', () => {
    const sources = write(
      'debian.sources',
      [
        '# a snapshot, commented out',
        'Types: deb-src',
        'URIs: http://src.example/debian',
        'Suites: bookworm',
        'Components: main',
        '',
        'Types: deb',
        'URIs: http://security.example/debian-security',
        'Suites: bookworm-security',
        'Components: main',
        '',
        'Types: deb',
        'URIs: http://off.example/debian',
        'Suites: bookworm',
        'Enabled: no',
        '',
        'types: deb deb-src',
        'URIs: http://mirror.example/debian',
        'Suites:',
        ' bookworm-updates',
        ' bookworm',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      ].join('\n'),
    );
    expect(suiteUri('bookworm', sources)).to.equal('http://mirror.example/debian');
    expect(suiteUri('bookworm-security', sources)).to.equal('http://security.example/debian-security');
    expect(suiteUri('bookworm-backports', sources)).to.equal('');
  });

  it('reads one-line entries with options and comments', () => {
    const list = write(
      'sources.list',
      [
        '# deb http://old.example/debian bookworm main',
        'deb-src http://src.example/debian bookworm main',
        'deb http://security.example/debian-security bookworm-security main',
        '  deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror.example/debian bookworm main # the archive',
      ].join('\n'),
    );
    expect(suiteUri('bookworm', list)).to.equal('http://mirror.example/debian');
    expect(suiteUri('bookworm', write('empty.list', ''))).to.equal('');
    expect(suiteUri('bookworm')).to.equal('');
  });

  it('takes the first match across files, and lists only the files that exist', () => {
    write('apt/sources.list.d/a.list', 'deb http://first.example/debian bookworm main\n');
    write('apt/sources.list.d/b.sources', 'Types: deb\nURIs: http://second.example/debian\nSuites: bookworm\n');
    write('apt/sources.list.d/notes.txt', 'deb http://ignored.example/debian bookworm main\n');
    const files = bash('apt_source_files "$1"', join(dir, 'apt')).trim().split('\n');
    expect(files).to.deep.equal([join(dir, 'apt/sources.list.d/a.list'), join(dir, 'apt/sources.list.d/b.sources')]);
    expect(suiteUri('bookworm', ...files)).to.equal('http://first.example/debian');
    expect(suiteUri('bookworm', ...files.reverse())).to.equal('http://second.example/debian');
  });
});
