import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchlab } from '../helpers/batchlab-cli';
import { loadModel } from '../../src/io/model-files';

describe('batchlab CLI', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const usageErrors: [string[], RegExp][] = [
    [['train', '--strategy', 'mini:0'], /--strategy: miniBatch: batch size n must be a positive integer, got 0/],
    [['train', '--strategy', 'huge'], /--strategy: strategy "huge" is not one of full, sgd, mini:<n>/],
    [['train', '--epochs', '-3'], /--epochs must be a positive integer, got -3/],
    [['train', '--lr', 'fast'], /--lr must be a number in \(0, 10\], got fast/],
    [['train', '--hidden', '64,0'], /--hidden must be comma-separated positive integers, got 64,0/],
    [
      ['train', '--backend', 'gpu'],
      /Argument: backend, Given: "gpu", Choices: "auto", "tensorflow", "webgpu", "wasm", "cpu"/,
    ],
    [['train', '--data', 'imagenet'], /--data must be one of fashion-mnist-small, .*got imagenet/],
    [['train', '--bogus'], /Unknown argument: bogus\nRun batchlab --help/],
    [['compare', '--bn', 'off'], /Unknown argument: bn\n--bn is now --batch-norm\n/],
    [
      ['train', '--allow-bn-batch-1', '--bn'],
      /Unknown arguments: allow-bn-batch-1, .*bn\n--allow-bn-batch-1 is now --allow-batch-norm-batch-of-one\n--bn is now --batch-norm\n/,
    ],
    [
      ['train', '--strategy', 'sgd', '--micro-batch', '4'],
      /--micro-batch: strategy "sgd\/micro:4": sgd has one sample/,
    ],
    [['train', '--strategy', 'sgd/micro:4'], /--strategy: strategy "sgd\/micro:4": sgd has one sample/],
    [
      ['train', '--strategy', 'mini:32/micro:4', '--micro-batch', '8'],
      /--micro-batch 8: --strategy mini:32\/micro:4 already/,
    ],
    [['train', '--bn-convention', 'torch'], /bn-convention.*Given: "torch".*Choices: "keras", "pytorch"/],
    [['train', '--bn-momentum', '1'], /--bn-momentum: momentum must be in \[0, 1\) with the keras convention, got 1/],
    [
      ['train', '--bn-convention', 'pytorch', '--bn-momentum', '0'],
      /--bn-momentum: momentum must be in \(0, 1\] with the pytorch convention, got 0/,
    ],
    [['train', '--bn-accumulation', 'whole'], /--bn-accumulation: bnAccumulation must be chunk or exact, got whole/],
    [['train', '--ghost-batch', '0'], /--ghost-batch must be a positive integer, got 0/],
    [['train', '--ghost-batch', '4'], /--ghost-batch: ghostBatch needs batchNorm: true/],
    [
      ['train', '--batch-norm', '--batch-renorm', 'rMax=0.5'],
      /--batch-renorm: batchRenorm: rMax must be a number >= 1, got 0\.5/,
    ],
    [
      ['train', '--batch-norm', '--ghost-batch', '4', '--batch-renorm'],
      /--ghost-batch: ghostBatch and batchRenorm exclude each other/,
    ],
    [
      ['train', '--data', 'blobs', '--batch-norm', '--ghost-batch', '48', '--strategy', 'mini:64', '--quiet'],
      /--ghost-batch 48: ghostBatch 48 does not divide every chunk strategy mini:64 feeds on 2000 samples \(64, 16\)/,
    ],
    [['frobnicate'], /Unknown command: frobnicate/],
  ];
  for (const [args, pattern] of usageErrors) {
    it(`exits 2 naming the problem for: ${args.join(' ')}`, () => {
      const { status, stderr } = batchlab(...args);
      expect(stderr).to.match(pattern);
      expect(status).to.equal(2);
    });
  }

  it('shows help for train with every option', () => {
    const { status, stdout } = batchlab('train', '--help');
    expect(status).to.equal(0);
    for (const option of [
      '--data',
      '--model',
      '--batch-norm',
      '--bn-convention',
      '--ghost-batch',
      '--batch-renorm',
      '--allow-short-ghost-batch',
      '--bn-accumulation',
      '--strategy',
      '--optimizer',
      '--lr',
      '--epochs',
      '--seed',
      '--backend',
      '--out',
    ]) {
      expect(stdout).to.include(option);
    }
  });

  it('trains, prints a summary, writes history.json and a loadable model', async () => {
    const out = join(dir, 'run');
    const { status, stdout, stderr } = batchlab(
      'train',
      '--data',
      'blobs',
      '--model',
      'mlp',
      '--hidden',
      '8',
      '--batch-norm',
      '--bn-convention',
      'pytorch',
      '--strategy',
      'mini:64',
      '--epochs',
      '2',
      '--backend',
      'wasm',
      '--out',
      out,
    );
    expect(status, stderr).to.equal(0);
    expect(stdout).to.match(/test loss \d+\.\d{4}, test accuracy \d+\.\d{2}% after 2 epochs/);
    expect(stderr).to.match(/epoch 2\/2 {2}loss/);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.model).to.match(/pytorch convention: momentum 0\.1, epsilon 0\.00001, unbiased moving variance/);
    expect(history.strategy).to.equal('mini:64');
    expect(history.epochs).to.have.length(2);
    expect(history.epochs[0].updates).to.equal(Math.ceil(2000 / 64));
    expect(history.backend.name).to.equal('wasm');
    const { model } = await loadModel(join(out, 'model'));
    expect(model.layers.some((l) => l.getClassName() === 'BatchNormalization')).to.equal(true);
    model.dispose();
  });

  it('trains batch renorm under micro-batches, naming the variant and bnAccumulation chunk in the log and history.json', () => {
    const out = join(dir, 'renorm');
    const { status, stderr } = batchlab(
      ...['train', '--data', 'blobs', '--model', 'mlp', '--hidden', '8', '--batch-norm'],
      ...['--batch-renorm', 'relaxFrom=0,rMaxAt=2,dMaxAt=2', '--strategy', 'full', '--micro-batch', '500'],
      ...['--epochs', '2', '--backend', 'wasm', '--out', out],
    );
    expect(status, stderr).to.equal(0);
    expect(stderr).to.match(
      /model: mlp \[8\] relu, batch renorm \(rMax 3 at update 2, dMax 5 at update 2, relaxed from update 0\)/,
    );
    expect(stderr).to.match(/micro-batches of 500 with BatchNorm, bnAccumulation chunk \(ghost BN with g = 500\)/);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.bnAccumulation).to.equal('chunk');
    expect(history.strategy).to.equal('full/micro:500');
  });

  it('fails with exit 1 and a clear message when the output cannot be written, keeping what was there', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'keep me');
    const { status, stderr } = batchlab(
      'train',
      '--data',
      'blobs',
      '--model',
      'logistic',
      '--epochs',
      '1',
      '--quiet',
      '--out',
      join(blocker, 'run'),
    );
    expect(status).to.equal(1);
    expect(stderr).to.match(/batchlab: .*a-file/);
    expect(readFileSync(blocker, 'utf8')).to.equal('keep me');
    expect(existsSync(join(blocker, 'run'))).to.equal(false);
  });

  it('doctor lists every backend', () => {
    const { status, stdout } = batchlab('doctor');
    expect(status).to.equal(0);
    expect(stdout).to.match(/^tensorflow +(available|unavailable)/m);
    expect(stdout).to.match(/^wasm +available: CPU \(WebAssembly/m);
    expect(stdout).to.match(/^cpu +available: CPU \(JavaScript\)/m);
  });
});

describe('scripts/library-example.js', function () {
  this.timeout(120000);
  it('runs as documented, requiring the built package by name', () => {
    const script = join(__dirname, '..', '..', 'scripts', 'library-example.js');
    const result = spawnSync(process.execPath, [script, '1'], { encoding: 'utf8', timeout: 120000 });
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^full {6}1 updates, test accuracy \d+\.\d\d%$/m);
    expect(result.stdout).to.match(/^mini:32 {3}188 updates, test accuracy \d+\.\d\d%$/m);
    expect(result.stdout).to.match(/^mini:128 {2}47 updates, test accuracy \d+\.\d\d%$/m);
  });
});

describe('batchlab compare CLI', function () {
  this.timeout(120000);
  const cases: [string[], RegExp][] = [
    [
      ['compare', '--strategies', 'full,mini:0'],
      /--strategies\[1\]: miniBatch: batch size n must be a positive integer, got 0/,
    ],
    [['compare', '--budget', 'weeks:2'], /--budget: budget "weeks:2" is not one of/],
    [['compare', '--lr-rule', 'square'], /--lr-rule must be fixed or linear:<reference batch size>, got square/],
    [['compare', '--resume'], /--resume needs --out/],
    [['compare', '--seeds', '0'], /--seeds must be a positive integer, got 0/],
    [
      ['compare', '--bn-conventions', 'keras,torch'],
      /--bn-conventions\[1\]: Invalid enum value\. Expected 'keras' \| 'pytorch'/,
    ],
    [
      ['compare', '--bn-variants', 'plain,ghost:0'],
      /--bn-variants\[1\]: a BatchNorm variant is plain, ghost:<g> \(g a positive integer\) or renorm, got ghost:0/,
    ],
    [['compare', '--bn-accumulation', 'whole'], /--bn-accumulation: bnAccumulation must be chunk or exact, got whole/],
    [['compare', '--batch-renorm', 'dMax=-2'], /--batch-renorm: batchRenorm: dMax must be a number >= 0, got -2/],
    [
      ['compare', '--spec', '/nonexistent/spec.yaml'],
      /\/nonexistent\/spec\.yaml: cannot read the spec file \(ENOENT\)/,
    ],
  ];
  for (const [args, pattern] of cases) {
    it(`exits with a message naming the problem for: ${args.join(' ')}`, () => {
      const { status, stderr } = batchlab(...args);
      expect(stderr).to.match(pattern);
      expect(status).to.be.oneOf([1, 2]);
    });
  }

  it('runs a small experiment and prints the table and the report path', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'batchlab-cli-compare-')), 'exp');
    const { status, stdout, stderr } = batchlab(
      'compare',
      '--data',
      'blobs',
      '--limit',
      '200',
      '--strategies',
      'full,mini:50',
      '--batch-norm',
      'off',
      '--budget',
      'epochs:1',
      '--checkpoints',
      '0',
      '--out',
      out,
    );
    expect(status, stderr).to.equal(0);
    expect(stdout).to.match(/^model +strategy +BN/m);
    expect(stdout).to.match(/^mlp +mini:50 +off +1 /m);
    expect(stdout).to.include(`report:  ${join(out, 'report.html')}`);
    expect(existsSync(join(out, 'plots', 'loss-vs-epoch.png'))).to.equal(true);
    rmSync(out, { recursive: true, force: true });
  });
});
