// What `batchlab train` refuses before training, through the real command: each case exits 2 with a
// message naming the option or file, and leaves --out as it was.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchlab } from '../helpers/batchlab-cli';

const CORPUS = join(__dirname, '..', 'corpus');

describe('batchlab train refusals', function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-refusals-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const quick = ['--model', 'logistic', '--epochs', '1', '--quiet', '--backend', 'cpu'];
  const refused: [string[], RegExp][] = [
    [
      ['--data', 'linear', '--target', '0.9', '--validation', '0.2'],
      /--target 0\.9: --data linear is a regression data set/,
    ],
    [['--data', 'blobs', '--target', '0.9'], /--target 0\.9 stops on validation accuracy: add --validation <fraction>/],
    [['--data', 'blobs', '--patience', '2'], /--patience 2 watches the validation loss: add --validation <fraction>/],
    [
      ['--data', 'blobs', '--batch-norm'],
      /--model: logistic has no hidden layers, so no BatchNorm \(--batch-norm applies to mlp, cnn\)/,
    ],
    [
      ['--data', 'blobs', '--limit', '1000', '--strategy', 'mini:900', '--validation', '0.2'],
      /--strategy mini:900: batch size 900 is larger than the 800 training samples \(1000 less the 200 --validation 0\.2 holds out\)/,
    ],
    [
      ['--data', `csv:${join(CORPUS, 'ragged.csv')}`],
      /ragged\.csv line 3: expected 3 columns \(as on line 1\), found 2/,
    ],
    [['--data', `csv:${join(CORPUS, 'one-class.csv')}`], /one-class\.csv, column 3 \(the label column\): every one/],
    [
      ['--data', 'mnist', '--data-dir', join(CORPUS, 'nowhere')],
      /data set mnist: .*nowhere.*train-images-idx3-ubyte\[\.gz\] not found/,
    ],
    [['--data', 'blobs', '--threads', '0'], /--threads must be a positive integer, got 0/],
    [['--data', 'blobs', '--threads', '9'], /--threads must be at most 8, got 9/],
  ];
  for (const [args, pattern] of refused) {
    it(`exits 2 naming the problem, writing nothing, for: ${args.join(' ')}`, () => {
      const out = join(
        dir,
        `run-${args
          .join('-')
          .replace(/[^a-z0-9]+/gi, '_')
          .slice(-60)}`,
      );
      const { status, stderr } = batchlab('train', ...quick, ...args, '--out', out);
      expect(stderr).to.match(pattern);
      expect(status, stderr).to.equal(2);
      expect(existsSync(out)).to.equal(false);
    });
  }

  it('refuses a CNN on wasm without the kernel pack before training, naming the missing kernel', () => {
    const { status, stderr } = batchlab(
      'train',
      '--model',
      'cnn',
      '--backend',
      'wasm',
      '--no-kernels',
      '--limit',
      '64',
    );
    expect(stderr).to.match(
      /--model cnn cannot train on the wasm backend as started: it lacks the Conv2DBackpropFilter kernel/,
    );
    expect(stderr).not.to.match(/epoch 1/);
    expect(status).to.equal(2);
  });

  it('trains on wasm with the threads asked for and says so', () => {
    const out = join(dir, 'threads-2');
    const { status, stderr, stdout } = batchlab(
      'train',
      '--data',
      'blobs',
      '--model',
      'mlp',
      '--epochs',
      '1',
      '--backend',
      'wasm',
      '--threads',
      '2',
      '--out',
      out,
    );
    expect(status, stderr).to.equal(0);
    expect(`${stdout}${stderr}`).to.match(/backend: wasm \(CPU \(WebAssembly, SIMD\), 2 threads\)/);
  });

  describe('BatchNorm on chunks of one sample: exits 2 before training, naming places, cause and fix', () => {
    const run = (...args: string[]) =>
      batchlab(
        'train',
        '--limit',
        '500',
        '--epochs',
        '1',
        '--quiet',
        '--batch-norm',
        ...args,
        '--out',
        join(dir, 'bn1'),
      );
    it('a micro-batch that leaves one sample names the micro-batch and values that work', () => {
      const { status, stderr } = run('--strategy', 'mini:100', '--micro-batch', '33');
      expect(stderr).to.include(
        "trains hidden layer 1's BatchNorm and hidden layer 2's BatchNorm on a batch of 1 sample",
      );
      expect(stderr).to.include('(micro-batches of 33 split each batch of 100 into 3 x 33 + 1)');
      expect(stderr).to.include('--micro-batch: 32 or 34 here');
      expect(stderr).not.to.match(/BatchNormalization\d/);
      expect(status).to.equal(2);
      expect(existsSync(join(dir, 'bn1'))).to.equal(false);
    });
    it('a CNN with BN in its dense head is refused with SGD, offering --no-head-batch-norm, which trains', () => {
      const refusedRun = run('--model', 'cnn', '--strategy', 'sgd');
      expect(refusedRun.stderr).to.include("trains the dense head's BatchNorm on a batch of 1 sample");
      expect(refusedRun.stderr).to.match(
        /Conv block 1's BatchNorm and conv block 2's BatchNorm average over height x width/,
      );
      expect(refusedRun.stderr).to.include('--no-head-batch-norm');
      expect(refusedRun.status).to.equal(2);
      const out = join(dir, 'cnn-conv-bn');
      const trained = batchlab(
        'train',
        ...['--model', 'cnn', '--filters', '2', '--batch-norm', '--no-head-batch-norm', '--strategy', 'sgd'],
        ...['--limit', '40', '--epochs', '1', '--out', out],
      );
      expect(trained.status, trained.stderr).to.equal(0);
      expect(trained.stderr).to.match(/model: cnn .*dense 64 without BN/);
      expect(trained.stderr).to.match(/strategy: sgd \(40 updates\/epoch\)/);
    });
    it('--head-batch-norm is refused without --batch-norm and for the mlp, naming the flag', () => {
      const noBn = batchlab('train', '--model', 'cnn', '--no-head-batch-norm', '--out', join(dir, 'bn2'));
      expect(noBn.stderr).to.include('--no-head-batch-norm: without --batch-norm there is no BatchNorm to place');
      expect(noBn.status).to.equal(2);
      const onMlp = batchlab('train', '--batch-norm', '--head-batch-norm', 'false', '--out', join(dir, 'bn3'));
      expect(onMlp.stderr).to.include('mlp takes no --head-batch-norm option (--head-batch-norm applies to cnn)');
      expect(onMlp.status).to.equal(2);
    });
  });

  it('refuses an --out that already holds a run, keeping it, and replaces it with --overwrite', () => {
    const out = join(dir, 'existing');
    mkdirSync(join(out, 'model'), { recursive: true });
    writeFileSync(join(out, 'history.json'), '{"keep": true}');
    const refusedRun = batchlab('train', '--data', 'blobs', ...quick, '--out', out);
    expect(refusedRun.stderr).to.include(`--out ${out} already holds a run (history.json, model); pass --overwrite`);
    expect(refusedRun.status).to.equal(2);
    expect(readFileSync(join(out, 'history.json'), 'utf8')).to.equal('{"keep": true}');
    const replaced = batchlab('train', '--data', 'blobs', ...quick, '--out', out, '--overwrite');
    expect(replaced.status, replaced.stderr).to.equal(0);
    expect(replaced.stdout).to.match(/after 1 epoch \(/);
    expect(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')).epochs).to.have.length(1);
    expect(readdirSync(join(out, 'model'))).to.include.members(['model.json', 'weights.bin', 'data.json']);
  });

  it("says in batchlab's words that --out names a file", () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'keep me');
    const { status, stderr } = batchlab('train', '--data', 'blobs', ...quick, '--out', file);
    expect(stderr).to.include(`--out ${file}: a file is there, not a directory`);
    expect(stderr).not.to.match(/EEXIST/);
    expect(status).to.equal(2);
    expect(readFileSync(file, 'utf8')).to.equal('keep me');
  });

  it('reports the training count after the validation split and writes plurals right', () => {
    const { status, stderr } = batchlab(
      'train',
      '--data',
      'blobs',
      '--limit',
      '1000',
      '--validation',
      '0.2',
      '--strategy',
      'full',
      '--model',
      'logistic',
      '--epochs',
      '1',
      '--backend',
      'cpu',
      '--out',
      join(dir, 'val'),
    );
    expect(status, stderr).to.equal(0);
    expect(stderr).to.match(/data: blobs .*: 1000 train \/ 200 test \(training on 800, 200 held out for validation\)/);
    expect(stderr).to.match(/strategy: full \(1 update\/epoch\)/);
  });
});
