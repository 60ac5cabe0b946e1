import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkCudaSetup,
  findLibraries,
  formatCudaReport,
  libtensorflowForRelease,
  nvidiaDriver,
  parseLdconfig,
  readLdconfig,
  readNativeRequirements,
  scanSonames,
} from '../../src/doctor/cuda';

const README = [
  '# TensorFlow backend for TensorFlow.js via Node.js',
  'For GPU support, tfjs-node-gpu needs this NVIDIA® software:',
  '',
  '| Name | Version |',
  '| ------------- | ------------- |',
  '| [NVIDIA® GPU drivers](https://www.nvidia.com/Download/index.aspx) | >450.x  |',
  '| [CUDA® Toolkit](https://developer.nvidia.com/cuda-11.2.0-download-archive)  | 11.2  |',
  '| [cuDNN SDK](https://developer.nvidia.com/rdp/cudnn-download)  | 8.1.0  |',
].join('\n');

/** The published README since 4.x: a pointer, no versions. */
const POINTER =
  'For information please refer [here](https://github.com/tensorflow/tfjs/blob/master/tfjs-node/README.md).\n';

const CUDA_11 = [
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcudart.so.11.0',
  'libcudnn.so.8',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
];

/** `count` bytes from a seeded linear congruential generator. */
function noise(count: number, seed: number): Buffer {
  const bytes = Buffer.alloc(count);
  for (let i = 0, s = seed; i < count; i++) bytes[i] = (s = (s * 1103515245 + 12345) % 2 ** 31) >>> 16;
  return bytes;
}

/** Noise with each name embedded, NUL-terminated, between noise blocks. */
function fakeBinary(names: string[], seed = 7): Buffer {
  return Buffer.concat(
    names
      .flatMap((name, i) => [noise(300, seed + i), Buffer.from(`${name}\0`, 'latin1')])
      .concat(noise(300, seed + 99)),
  );
}

interface FakePackage {
  constants?: boolean;
  /** package.json's version; no package.json without it. */
  version?: string;
  readme?: string | null;
  binary?: Buffer;
  framework?: Buffer;
}

function fakePackage(
  root: string,
  { constants = true, version, readme = README, binary, framework }: FakePackage = {},
): string {
  const dir = join(root, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  mkdirSync(join(dir, 'deps', 'lib'), { recursive: true });
  if (version) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version }));
  if (constants) {
    writeFileSync(
      join(dir, 'scripts', 'deps-constants.js'),
      "// const LIBTENSORFLOW_VERSION = '1.0.0';\nconst LIBTENSORFLOW_VERSION = '2.9.1';\nmodule.exports = { LIBTENSORFLOW_VERSION };\n",
    );
  }
  if (readme !== null) writeFileSync(join(dir, 'README.md'), readme);
  if (binary) writeFileSync(join(dir, 'deps', 'lib', 'libtensorflow.so.2.9.1'), binary);
  if (framework) writeFileSync(join(dir, 'deps', 'lib', 'libtensorflow_framework.so.2.9.1'), framework);
  return dir;
}

function fakeLibDir(root: string, name: string, sonames: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const soname of sonames) writeFileSync(join(dir, soname), 'ELF');
  return dir;
}

describe('cuda requirements', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'batchlab-cuda-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads the sonames from the downloaded libtensorflow and the versions from the README', () => {
    const dir = fakePackage(root, {
      binary: fakeBinary(['libcudart.so.11.0', 'libcudnn.so.8', 'libcublasLt.so.11', 'libcudart.so.11.0']),
    });
    expect(readNativeRequirements(dir)).to.deep.equal({
      libtensorflowVersion: '2.9.1',
      libtensorflowPath: join(dir, 'deps', 'lib', 'libtensorflow.so.2.9.1'),
      packageVersion: null,
      sonames: ['libcublasLt.so.11', 'libcudart.so.11.0', 'libcudnn.so.8'],
      source: 'libtensorflow',
      cudaVersion: '11.2',
      cudnnVersion: '8.1.0',
    });
  });

  it('adds the names in libtensorflow_framework and drops a bare name that a versioned one covers', () => {
    const dir = fakePackage(root, {
      binary: fakeBinary(['libcudnn.so', 'libcudnn.so.8']),
      framework: fakeBinary(['libcufft.so.10'], 3),
    });
    expect(readNativeRequirements(dir).sonames).to.deep.equal(['libcudnn.so.8', 'libcufft.so.10']);
  });

  it('finds names that straddle chunk boundaries', () => {
    const file = join(root, 'lib.so');
    writeFileSync(file, fakeBinary(['libcusolver.so.11', 'libcurand.so.10', 'libcudart.so.11.0']));
    const whole = scanSonames([file]);
    expect(whole).to.deep.equal(['libcudart.so.11.0', 'libcurand.so.10', 'libcusolver.so.11']);
    for (const chunk of [1, 5, 16, 257, 1000])
      expect(scanSonames([file], chunk), `chunk ${chunk}`).to.deep.equal(whole);
  });

  it('derives the sonames from the README when libtensorflow is not downloaded', () => {
    const requirements = readNativeRequirements(fakePackage(root));
    expect(requirements).to.deep.include({
      libtensorflowVersion: '2.9.1',
      libtensorflowPath: null,
      source: 'readme',
      cudaVersion: '11.2',
      cudnnVersion: '8.1.0',
    });
    expect(requirements.sonames).to.deep.equal(CUDA_11);
  });

  it('falls back to the README when the binary names no CUDA library', () => {
    const requirements = readNativeRequirements(fakePackage(root, { binary: noise(5000, 1) }));
    expect(requirements.source).to.equal('readme');
    expect(requirements.sonames).to.deep.equal(CUDA_11);
  });

  it('reads a leniently written table, and takes the versions from the table of builds when the README has none', () => {
    const loose = 'CUDA&reg; Toolkit|11.8\n| cuDNN | >=8.6 |\n';
    expect(readNativeRequirements(fakePackage(root, { readme: loose }))).to.deep.include({
      cudaVersion: '11.8',
      cudnnVersion: '8.6',
      source: 'readme',
    });
    rmSync(root, { recursive: true });
    const requirements = readNativeRequirements(fakePackage(root, { readme: POINTER, version: '4.22.0' }));
    expect(requirements).to.deep.include({
      libtensorflowVersion: '2.9.1',
      packageVersion: '4.22.0',
      cudaVersion: '11.2',
      cudnnVersion: '8.1',
      source: 'table',
    });
    expect(requirements.sonames).to.deep.equal(CUDA_11);
  });

  it("looks the release up when deps-constants.js names no libtensorflow, with each CUDA's library names", () => {
    const cuda110 = readNativeRequirements(fakePackage(root, { constants: false, readme: null, version: '3.5.0' }));
    expect(cuda110).to.deep.include({
      libtensorflowVersion: null,
      cudaVersion: '11.0',
      cudnnVersion: '8.0',
      source: 'table',
    });
    // CUDA 11.0 ships cuSOLVER 10; every later 11.x ships cuSOLVER 11.
    expect(cuda110.sonames).to.deep.equal(
      CUDA_11.map((name) => (name === 'libcusolver.so.11' ? 'libcusolver.so.10' : name)).sort(),
    );
    rmSync(root, { recursive: true });
    const cuda100 = readNativeRequirements(fakePackage(root, { constants: false, readme: null, version: '1.7.4' }));
    expect(cuda100).to.deep.include({ cudaVersion: '10.0', cudnnVersion: '7.4', source: 'table' });
    expect(cuda100.sonames).to.deep.equal([
      'libcublas.so.10.0',
      'libcudart.so.10.0',
      'libcudnn.so.7',
      'libcufft.so.10.0',
      'libcurand.so.10.0',
      'libcusolver.so.10.0',
      'libcusparse.so.10.0',
    ]);
    rmSync(root, { recursive: true });
    const dir = fakePackage(root, { constants: false, readme: null, version: '5.0.0' });
    const unknown = checkCudaSetup(dir, { ldLibraryPath: '', ldconfigOutput: null, systemDirs: [], extraDirs: [] });
    expect(unknown.requirements).to.deep.include({ cudaVersion: null, sonames: [], source: 'none' });
    expect(formatCudaReport(unknown)[0]).to.match(
      /CUDA libraries unknown: .*table of tfjs-node-gpu builds does not know release 5\.0\.0 \(libtensorflow unknown\)$/,
    );
  });

  it('knows which libtensorflow each release range downloaded', () => {
    const cases: [string, string | null][] = [
      ['1.2.7', null],
      ['1.2.8', '1.14.0'],
      ['1.4.0', '1.14.0'],
      ['1.5.0', '1.15.0'],
      ['3.3.0', '1.15.0'],
      ['3.4.0', '2.4.1'],
      ['3.9.0', '2.5.0'],
      ['3.10.0', '2.6.0'],
      ['3.18.0', '2.7.0'],
      ['3.19.0', '2.7.3'],
      ['3.21.0', '2.9.1'],
      ['4.22.0', '2.9.1'],
      ['4.23.0', null],
      ['not a version', null],
    ];
    for (const [release, libtensorflow] of cases)
      expect(libtensorflowForRelease(release), release).to.equal(libtensorflow);
  });

  it("finds the table's libraries where the loader looks, and says where they came from", () => {
    const dir = fakePackage(root, { readme: POINTER, version: '4.22.0' });
    const lib = fakeLibDir(root, 'lib', [...CUDA_11]);
    const report = checkCudaSetup(dir, { ldLibraryPath: lib, ldconfigOutput: null, systemDirs: [], extraDirs: [] });
    expect(report).to.deep.include({ missing: [], ok: true });
    expect(report.libraries.map((l) => l.via)).to.deep.equal(CUDA_11.map(() => 'LD_LIBRARY_PATH'));
    expect(formatCudaReport(report)[0]).to.equal(
      `libtensorflow 2.9.1: not downloaded (no ${join(dir, 'deps', 'lib', 'libtensorflow.so.2.9.1')}; the package's install step downloads it); ` +
        "CUDA libraries from batchlab's table of tfjs-node-gpu builds (libtensorflow 2.9.1 was built for CUDA 11.2, cuDNN 8.1; " +
        'no binary to read and the README names no version)',
    );
  });

  it('says clearly when deps-constants.js is missing', () => {
    const dir = fakePackage(root, { constants: false, readme: null });
    const report = checkCudaSetup(dir, { ldLibraryPath: '', ldconfigOutput: null, systemDirs: [], extraDirs: [] });
    expect(report.requirements).to.deep.equal({
      libtensorflowVersion: null,
      libtensorflowPath: null,
      packageVersion: null,
      sonames: [],
      source: 'none',
      cudaVersion: null,
      cudnnVersion: null,
    });
    expect(report.ok).to.equal(false);
    expect(formatCudaReport(report)[0]).to.equal(
      `libtensorflow: version unknown (no LIBTENSORFLOW_VERSION in ${join(dir, 'scripts', 'deps-constants.js')}); ` +
        'CUDA libraries unknown: no binary to read, the README names no CUDA/cuDNN version batchlab knows, ' +
        "and batchlab's table of tfjs-node-gpu builds does not know a package without a version",
    );
  });

  it('rejects a package directory that does not exist', () => {
    expect(() => readNativeRequirements(join(root, 'nope'))).to.throw(
      /packageDir must be an installed package's directory; got ".*nope"/,
    );
  });

  it('parses ldconfig -p for this architecture only', () => {
    const output =
      "3 libs found in cache `/etc/ld.so.cache'\n" +
      '\tlibcudart.so.11.0 (libc6) => /usr/lib32/libcudart.so.11.0\n' +
      '\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.11.0\n' +
      '\tlibz.so.1 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libz.so.1\n';
    expect([...parseLdconfig(output, 'x64')]).to.deep.equal([
      ['libcudart.so.11.0', '/usr/local/cuda/lib64/libcudart.so.11.0'],
      ['libz.so.1', '/lib/x86_64-linux-gnu/libz.so.1'],
    ]);
    expect(parseLdconfig(null).size).to.equal(0);
  });

  it('looks libraries up in LD_LIBRARY_PATH, the ldconfig cache, system dirs, and says what is off the path', () => {
    const first = fakeLibDir(root, 'ld-path', ['libcudart.so.11.0']);
    const cached = fakeLibDir(root, 'cached', ['libcublas.so.11', 'libcufft.so.10']);
    const system = fakeLibDir(root, 'system', ['libcurand.so.10', 'libcudart.so.11.0']);
    const cuda = fakeLibDir(root, 'cuda', ['libcudnn.so.8']);
    const ldconfigOutput = `\tlibcublas.so.11 (libc6,x86-64) => ${join(cached, 'libcublas.so.11')}\n\tlibcusolver.so.11 (libc6,x86-64) => ${join(cached, 'gone.so')}\n`;
    const found = findLibraries(
      ['libcudart.so.11.0', 'libcublas.so.11', 'libcurand.so.10', 'libcudnn.so.8', 'libcusolver.so.11'],
      {
        ldLibraryPath: `:${join(root, 'absent')}:${first}`,
        ldconfigOutput,
        systemDirs: [system],
        extraDirs: [cuda],
      },
    );
    expect(found).to.deep.equal([
      { soname: 'libcudart.so.11.0', path: join(first, 'libcudart.so.11.0'), via: 'LD_LIBRARY_PATH' },
      { soname: 'libcublas.so.11', path: join(cached, 'libcublas.so.11'), via: 'ldconfig' },
      { soname: 'libcurand.so.10', path: join(system, 'libcurand.so.10'), via: 'system dir' },
      { soname: 'libcudnn.so.8', path: join(cuda, 'libcudnn.so.8'), via: 'off search path' },
      { soname: 'libcusolver.so.11', path: null, via: null },
    ]);
  });

  it('reports exactly the missing libraries, with what provides each', () => {
    const dir = fakePackage(root);
    const ldDir = fakeLibDir(root, 'ld-path', ['libcudart.so.11.0']);
    const cublas = join(fakeLibDir(root, 'cached', ['libcublas.so.11']), 'libcublas.so.11');
    const driverFile = join(root, 'version');
    writeFileSync(
      driverFile,
      'NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 2023\nGCC version:  gcc 12\n',
    );
    const report = checkCudaSetup(dir, {
      ldLibraryPath: ldDir,
      ldconfigOutput: `\tlibcublas.so.11 (libc6,x86-64) => ${cublas}\n`,
      systemDirs: [],
      extraDirs: [],
      driverVersionFile: driverFile,
    });
    expect(report.missing).to.deep.equal([
      'libcublasLt.so.11',
      'libcudnn.so.8',
      'libcufft.so.10',
      'libcurand.so.10',
      'libcusolver.so.11',
      'libcusparse.so.11',
    ]);
    expect(report.ok).to.equal(false);
    const missing = (soname: string, product: string): string =>
      `${soname}: missing (${product}; install it or add its directory to LD_LIBRARY_PATH)`;
    expect(formatCudaReport(report)).to.deep.equal([
      `libtensorflow 2.9.1: not downloaded (no ${join(dir, 'deps', 'lib', 'libtensorflow.so.2.9.1')}; the package's install step downloads it); ` +
        'CUDA libraries derived from the README (CUDA 11.2, cuDNN 8.1.0; no binary to read)',
      'NVIDIA driver: NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 2023',
      `libcublas.so.11: ${cublas}`,
      missing('libcublasLt.so.11', 'CUDA 11.2'),
      `libcudart.so.11.0: ${join(ldDir, 'libcudart.so.11.0')}`,
      missing('libcudnn.so.8', 'cuDNN 8.1.0'),
      missing('libcufft.so.10', 'CUDA 11.2'),
      missing('libcurand.so.10', 'CUDA 11.2'),
      missing('libcusolver.so.11', 'CUDA 11.2'),
      missing('libcusparse.so.11', 'CUDA 11.2'),
    ]);
  });

  it('is ok when every library the binary names is loadable, and says where one lies off the path', () => {
    const binary = fakeBinary(['libcudart.so.11.0', 'libcudnn.so.8']);
    const dir = fakePackage(root, { binary, readme: null });
    const lib = fakeLibDir(root, 'lib', ['libcudart.so.11.0', 'libcudnn.so.8']);
    const report = checkCudaSetup(dir, {
      ldLibraryPath: lib,
      ldconfigOutput: null,
      systemDirs: [],
      extraDirs: [],
      driverVersionFile: join(root, 'none'),
    });
    expect(report).to.deep.include({ missing: [], ok: true, driver: null });
    expect(formatCudaReport(report).slice(0, 2)).to.deep.equal([
      `libtensorflow 2.9.1 (${join(dir, 'deps', 'lib', 'libtensorflow.so.2.9.1')}); CUDA libraries read from the binary`,
      'NVIDIA driver: none reported (no /proc/driver/nvidia/version; WSL2 lacks it even when CUDA works)',
    ]);
    const offPath = checkCudaSetup(dir, { ldLibraryPath: '', ldconfigOutput: null, systemDirs: [], extraDirs: [lib] });
    expect(offPath).to.deep.include({ missing: ['libcudart.so.11.0', 'libcudnn.so.8'], ok: false });
    expect(formatCudaReport(offPath)[3]).to.equal(
      `libcudnn.so.8: found at ${join(lib, 'libcudnn.so.8')} but not where the loader looks (add ${lib} to LD_LIBRARY_PATH or run ldconfig)`,
    );
  });

  it('reads the driver version line, null without the file', () => {
    const file = join(root, 'version');
    writeFileSync(file, 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15\n');
    expect(nvidiaDriver(file)).to.equal('NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15');
    expect(nvidiaDriver(join(root, 'absent'))).to.equal(null);
  });

  it('runs ldconfig -p when it can', () => {
    const output = readLdconfig();
    if (output !== null) expect(parseLdconfig(output).size).to.be.greaterThan(0);
  });
});
