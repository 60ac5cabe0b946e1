// The GPU bundle runs where there is no npm and no node_modules: built into a folder outside the
// checkout (so that nothing resolves from the project's node_modules), it must start the threaded
// wasm build and batchlab's kernel threads from its own files and train both models.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipBecause } from '../setup';

const ROOT = join(__dirname, '..', '..');
/** The smallest check of WebGPU alone: parity, then one short timing of each model. */
const CHECK = '--backends webgpu --samples 256 --batch-sizes 128 --min-steps 1';

describe('GPU bundle', function () {
  this.timeout(240_000);
  let dir: string;
  let bundle: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-gpu-bundle-'));
    bundle = join(dir, 'bundle');
    const built = spawnSync('bash', ['scripts/gpu-bundle.sh', '--no-node', bundle], { cwd: ROOT, encoding: 'utf8' });
    expect(built.status, built.stderr).to.equal(0);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  function checkIn(folder: string, ...args: string[]) {
    return spawnSync(process.execPath, [join(folder, 'gpu-check.js'), ...args], { cwd: dir, encoding: 'utf8' });
  }
  const check = (...args: string[]) => checkIn(bundle, ...args);

  it('trains the MLP-BN and CNN-BN on two wasm threads from its own files', () => {
    expect(existsSync(join(bundle, 'node.xz'))).to.equal(false);
    const args = ['--samples', '256', '--batch-sizes', '128', '--min-steps', '3', '--backends', 'wasm'];
    const run = check(...args, '--threads', '2');
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^wasm +available: CPU \(WebAssembly, SIMD\), threads 2 /m);
    expect(run.stdout).to.match(/^wasm +BN MLP: largest loss difference from stock cpu /m);
    // Whole epochs of at least 3 steps: 2 epochs of 2 steps over 256 samples, 3 of 1 over the CNN's 128.
    expect(run.stdout).to.match(/^MLP-BN mini:128 \(3 x 4 steps\) {2}wasm \(2 threads\) [1-9]\d* samples\/s$/m);
    expect(run.stdout).to.match(/^CNN-BN mini:128 \(3 x 3 steps\) {2}wasm \(2 threads\) [1-9]\d* samples\/s$/m);
  });

  it('falls back to one thread, saying why, where a thread script is missing', () => {
    for (const script of ['pool-worker.js', 'pthread-worker.js']) {
      const copy = join(dir, `without-${script}`);
      cpSync(bundle, copy, { recursive: true });
      rmSync(join(copy, script));
      const args = ['--samples', '256', '--batch-sizes', '128', '--min-steps', '1', '--backends', 'wasm'];
      const run = checkIn(copy, ...args, '--threads', '2');
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^wasm +available: CPU \(WebAssembly, SIMD\), threads 1 /m);
      expect(run.stdout).to.include(`one thread: `);
      expect(run.stdout).to.include(`${join(copy, script)} not found`);
      expect(run.stdout).to.match(/^MLP-BN mini:128 \(3 x 2 steps\) {2}wasm \(1 thread\) [1-9]\d* samples\/s$/m);
    }
  });

  it('refuses a bad argument by name and value, with exit status 2', () => {
    const sizes = check('--batch-sizes', '128,0');
    expect([sizes.status, sizes.stderr.trim()]).to.deep.equal([
      2,
      'gpu-check: --batch-sizes must be whole numbers of 1 or more, comma-separated, got 128,0',
    ]);
    const tooLarge = check('--samples', '1000', '--batch-sizes', '128,1024');
    expect([tooLarge.status, tooLarge.stderr.trim()]).to.deep.equal([
      2,
      "gpu-check: --batch-sizes 1024 is larger than the CNN-BN's 500 samples (half of --samples 1000)",
    ]);
    // The embedded data set holds 6000 training images.
    const tooMany = check('--samples', '6001');
    expect([tooMany.status, tooMany.stderr.trim()]).to.deep.equal([
      2,
      "gpu-check: --samples 6001 is more than the embedded data set's 6000 training images",
    ]);
    const backends = check('--backends', 'wasm,gpu');
    expect([backends.status, backends.stderr.trim()]).to.deep.equal([
      2,
      'gpu-check: --backends takes tensorflow, webgpu, wasm, cpu; got gpu',
    ]);
    const steps = check('--min-steps', '0');
    expect([steps.status, steps.stderr.trim()]).to.deep.equal([
      2,
      'gpu-check: --min-steps must be whole numbers of 1 or more, comma-separated, got 0',
    ]);
    const threads = check('--threads', '9');
    expect([threads.status, threads.stderr.trim()]).to.deep.equal([
      2,
      'gpu-check: --threads must be a whole number from 1 to 8, got 9',
    ]);
  });

  it('starts WebGPU with its own Vulkan loader where the machine has none', function () {
    // The machine's loader and the linker's cache are hidden in a mount namespace of their own.
    if (spawnSync('unshare', ['-m', 'true']).status !== 0) skipBecause(this, 'no mount namespaces here (unshare -m)');
    const script = [
      `loader="$(readlink -f "$(ldconfig -p | awk '/libvulkan\\.so\\.1 .*x86-64/ { print $NF; exit }')")"`,
      'mount --bind /dev/null "$loader" && mount --bind /dev/null /etc/ld.so.cache || exit 3',
      `"${process.execPath}" gpu-check.js ${CHECK} 2>&1 | grep '^webgpu '`,
      'echo ---',
      `bash run.sh ${CHECK} 2>&1 | grep '^webgpu '`,
    ].join('\n');
    const run = spawnSync('unshare', ['-m', 'bash', '-c', script], { cwd: bundle, encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
    const [direct, bundled] = run.stdout.split('---\n');
    expect(direct).to.include(
      'webgpu     unavailable: Dawn found no Vulkan adapter, and the Vulkan loader libvulkan.so.1',
    );
    expect(bundled).to.match(/^webgpu +available: /m);
    expect(bundled).to.match(/^webgpu +BN CNN: largest loss difference from stock cpu /m);
  });

  it('will not replace a folder that is not a bundle', () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'keep.txt'), 'mine');
    const built = spawnSync('bash', ['scripts/gpu-bundle.sh', '--no-node', other], { cwd: ROOT, encoding: 'utf8' });
    expect(built.status).to.equal(2);
    expect(built.stderr).to.include(`out-dir ${other} exists and is not a bundle`);
    expect(existsSync(join(other, 'keep.txt'))).to.equal(true);
  });
});
