// withNativeStderrFiltered swaps file descriptor 2, so it is tested in child processes whose
// stderr is a shell pipe (filtered), or a socket (Node's own stdio pipes) or a regular file (both
// left alone); a raw write to descriptor 2 stands in for native code's fprintf.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAWN_LIMIT_NOTICES } from '../../src/backend/webgpu';

const MODULE = join(__dirname, '..', '..', 'src', 'backend', 'native-stderr.ts');
const NOTICE = (kind: string): string =>
  `Warning: maxDynamic${kind}BuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.`;

const CHILD = `
  const { writeSync } = require('node:fs');
  const { withNativeStderrFiltered } = require(${JSON.stringify(MODULE)});
  process.stderr.write('before\\n');
  const result = withNativeStderrFiltered(/^Warning: maxDynamic/, () => {
    writeSync(2, ${JSON.stringify(`${NOTICE('Uniform')}\nkept line\n\n${NOTICE('Storage')}\n`)});
    return 42;
  });
  process.stderr.write('after\\n');
  console.log('result', result);
`;

/** The child with its stdout and stderr both on a shell pipe (a FIFO), as in `batchlab ... | less`. */
function childOnShellPipe(): { status: number | null; output: string } {
  const script = `"$0" --require tsx/cjs -e "$1" 2>&1 | cat`;
  const result = spawnSync('bash', ['-c', script, process.execPath, CHILD], { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

function child(stderr: 'pipe' | number): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', CHILD], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', stderr],
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr ?? '' };
}

describe('native stderr filter', function () {
  this.timeout(30000);

  it('drops the matching lines a native call writes to a piped stderr, keeps the rest, and restores stderr', () => {
    const { status, output } = childOnShellPipe();
    expect(status, output).to.equal(0);
    expect(output).to.equal('before\nkept line\n\nafter\nresult 42\n');
  });

  it('leaves a stderr that is a socket alone (it cannot be reopened)', () => {
    const { status, stdout, stderr } = child('pipe');
    expect(status, stderr).to.equal(0);
    expect(stdout).to.equal('result 42\n');
    expect(stderr).to.equal(`before\n${NOTICE('Uniform')}\nkept line\n\n${NOTICE('Storage')}\nafter\n`);
  });

  it('leaves a stderr that is a regular file alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchlab-stderr-test-'));
    try {
      const fd = openSync(join(dir, 'err'), 'w');
      const { status } = child(fd);
      closeSync(fd);
      expect(status).to.equal(0);
      expect(readFileSync(join(dir, 'err'), 'utf8')).to.equal(
        `before\n${NOTICE('Uniform')}\nkept line\n\n${NOTICE('Storage')}\nafter\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("matches exactly Dawn's two limit notices", () => {
    expect(DAWN_LIMIT_NOTICES.test(NOTICE('Uniform'))).to.equal(true);
    expect(DAWN_LIMIT_NOTICES.test(NOTICE('Storage'))).to.equal(true);
    expect(DAWN_LIMIT_NOTICES.test("Warning: Couldn't load Vulkan: libvulkan.so.1")).to.equal(false);
    expect(DAWN_LIMIT_NOTICES.test(`${NOTICE('Uniform')} and more`)).to.equal(false);
  });
});
