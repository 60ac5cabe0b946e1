import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandRunners, batchlabCli } from '../../src/cli/main';
import { runThroughput, sweepOptions } from '../../src/cli/throughput-command';
import {
  CSV_COLUMNS,
  DEFAULT_BATCH_SIZES,
  POWERS_OF_TWO_BATCH_SIZES,
  ThroughputOptions,
  ThroughputSweep,
} from '../../src/throughput';
import { batchlab, startBatchlab } from '../helpers/batchlab-cli';

/** Parses `args` with the real command line, handing the throughput command's arguments to `run`. */
function parse(args: string[], run: typeof runThroughput): Promise<void> {
  const none = () => Promise.reject(new Error('not the throughput command'));
  const runners: CommandRunners = {
    train: none,
    compare: none,
    claims: none,
    lrFind: none,
    throughput: run,
    merge: none,
    submit: { slurm: none, k8s: none },
    doctor: none,
  };
  return new Promise<void>((resolve, reject) => {
    void batchlabCli(args, runners)
      .exitProcess(false)
      .fail((message, error) => reject(error ?? new Error(message)))
      .parseAsync(args, {}, (error) => (error ? reject(error) : resolve()));
  });
}

/** The message a command line is refused with ('' when it is not). */
async function refusal(args: string[]): Promise<string> {
  return parse(args, () => Promise.resolve()).then(
    () => '',
    (error: Error) => error.message,
  );
}

/** Processes whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('batchlab throughput', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batchlab-throughput-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('measures each backend in its own process and writes the JSON, the CSV and the plot', () => {
    const out = join(dir, 'sweep');
    const run = batchlab(
      'throughput',
      ...['--backends', 'wasm,tensorflow', '--model', 'logistic', '--batch-sizes', '8,15,16'],
      ...['--repeats', '1', '--warmup', '1', '--steps', '2', '--out', out],
    );
    expect(run.status, run.stderr).to.equal(0);
    const sweep = JSON.parse(readFileSync(join(out, 'throughput.json'), 'utf8')) as ThroughputSweep;
    // tensorflow is measured where a native package is installed, and reported with its reason where not.
    const measured = Object.keys(sweep.device);
    const failed = sweep.failures.map((f) => f.backend);
    expect([...measured, ...failed].sort()).to.deep.equal(['tensorflow', 'wasm']);
    expect(measured).to.include('wasm');
    for (const f of sweep.failures) expect(run.stdout).to.include(`${f.backend} not measured: ${f.reason}`);
    const wasm = sweep.points.filter((p) => p.backend === 'wasm');
    // One warm-up step and one repeat of 2 steps: 3 updates, as the optimizer counted them.
    expect(wasm.map((p) => [p.batchSize, p.steps, p.updates, p.samplesPerSecond.length])).to.deep.equal([
      [8, 2, 3, 1],
      [15, 2, 3, 1],
      [16, 2, 3, 1],
    ]);
    const csv = readFileSync(join(out, 'throughput.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).to.equal(CSV_COLUMNS.join(','));
    const rows = csv.slice(1).map((line) => line.split(','));
    expect(rows.filter((r) => r[0] === 'wasm').map((r) => r.slice(0, 5))).to.deep.equal([
      ['wasm', '8', 'true', '1', '2'],
      ['wasm', '15', 'false', '1', '2'],
      ['wasm', '16', 'true', '1', '2'],
    ]);
    expect(readFileSync(join(out, 'throughput.svg'), 'utf8'))
      .to.match(/^<svg/)
      .and.to.include('Batch size (log2 scale)');
    expect(readFileSync(join(out, 'throughput.png')).subarray(1, 4).toString()).to.equal('PNG');
    expect(run.stdout).to.match(/batch +wasm samples\/s/);
    expect(run.stdout).to.match(/^ +\* 16 /m);
    expect(run.stdout).to.match(/^wasm: with one repeat the spread is unknown.* \(16 [+-]\d+\.\d% vs 15\); /m);
    expect(run.stderr).to.match(/^wasm repeat 1\/1 {2}samples\/s {2}8: [\d,]+ {2}15: [\d,]+ {2}16: [\d,]+$/m);
  });

  it('refuses bad values with exit status 2, naming the option and the value, writing nothing', () => {
    const cases: [string[], RegExp][] = [
      [['--batch-sizes', '16,0'], /--batch-sizes must be comma-separated positive integers, got 16,0/],
      [
        ['--backends', 'wasm,gpu'],
        /--backends must be comma-separated names of tensorflow, webgpu, wasm, cpu, got wasm,gpu/,
      ],
      [['--steps', '2', '--seconds', '1'], /--steps 2 and --seconds 1 exclude each other/],
    ];
    for (const [args, message] of cases) {
      const run = batchlab('throughput', ...args, '--out', join(dir, 'never'));
      expect(run.status, args.join(' ')).to.equal(2);
      expect(run.stderr, args.join(' ')).to.match(message);
      expect(existsSync(join(dir, 'never')), args.join(' ')).to.equal(false);
    }
  });

  it('checks every option before measuring', async () => {
    const cases: [string[], RegExp][] = [
      [['--batch-sizes', '16,16'], /--batch-sizes 16,16 lists 16 twice/],
      [['--batch-sizes', '1,2', '--batch-norm', 'on'], /--batch-sizes 1,2: batch size 1 has no batch statistics/],
      [['--backends', 'wasm,wasm'], /--backends names a backend twice: wasm,wasm/],
      [['--batch-norm', 'maybe'], /--batch-norm must be on or off, got maybe/],
      [['--model', 'logistic', '--batch-norm', 'on'], /--batch-norm on: model logistic has no hidden layers/],
      [['--repeats', '0'], /--repeats must be a positive integer, got 0/],
      [['--warmup', '-1'], /--warmup must be a non-negative integer, got -1/],
      [['--seconds', '0'], /--seconds must be a positive number, got 0/],
      [['--steps', '1.5'], /--steps must be a positive integer, got 1.5/],
      [['--preset', 'fast'], /Argument: preset, Given: "fast", Choices: "powers-of-two"/],
      [['--data', 'cifar'], /--data must be one of .*, got cifar/],
    ];
    for (const [args, message] of cases)
      expect(await refusal(['throughput', ...args]), args.join(' ')).to.match(message);
  });

  it('takes a preset, overridden by the options given with it', async () => {
    const parsed = async (args: string[]) => {
      let options: ThroughputOptions = {};
      await parse(args, (a) => {
        options = sweepOptions(a);
        return Promise.resolve();
      });
      return options;
    };
    const preset = await parsed(['throughput', '--preset', 'powers-of-two']);
    expect(preset.batchSizes).to.deep.equal(POWERS_OF_TWO_BATCH_SIZES);
    expect(preset.backends).to.deep.equal(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(preset.repeats).to.equal(5);
    const overridden = await parsed(['throughput', '--preset', 'powers-of-two', '--backends', 'cpu', '--repeats', '2']);
    expect([overridden.backends, overridden.repeats, overridden.batchSizes]).to.deep.equal([
      ['cpu'],
      2,
      POWERS_OF_TWO_BATCH_SIZES,
    ]);
    const plain = await parsed(['throughput', '--batch-norm']);
    expect([plain.backends, plain.batchSizes, plain.batchNorm, plain.steps, plain.seconds]).to.deep.equal([
      ['wasm', 'cpu'],
      DEFAULT_BATCH_SIZES,
      true,
      null,
      1,
    ]);
  });

  it('refuses a batch larger than the data set, and keeps a sweep already in --out', () => {
    const big = batchlab('throughput', '--backends', 'wasm', '--batch-sizes', '16,7000', '--out', join(dir, 'big'));
    expect(big.status).to.equal(2);
    expect(big.stderr).to.match(/batch size 7000 \(batchSizes, --batch-sizes\) exceeds the 6000 training samples/);
    expect(existsSync(join(dir, 'big', 'throughput.json'))).to.equal(false);

    writeFileSync(join(dir, 'throughput.json'), '{"kept": true}');
    const again = batchlab('throughput', '--backends', 'wasm', '--out', dir);
    expect(again.status).to.equal(2);
    expect(again.stderr).to.match(/already holds a sweep \(throughput\.json\); pass --overwrite to replace it/);
    expect(readFileSync(join(dir, 'throughput.json'), 'utf8')).to.equal('{"kept": true}');
  });

  it('ends the measuring process when it is ended by a signal', async () => {
    const running = startBatchlab(
      'throughput',
      ...['--backends', 'wasm', '--model', 'logistic', '--batch-sizes', '64', '--repeats', '100', '--seconds', '5'],
      ...['--out', join(dir, 'signal')],
    );
    await running.waitFor(/wasm repeat 1\/100/);
    const children = childrenOf(running.child.pid as number);
    expect(children).to.have.length(1);
    // 'exit', not the end of output: a surviving child would hold the output open.
    const signal = new Promise((resolve) => running.child.once('exit', (_code, sig) => resolve(sig)));
    running.child.kill('SIGTERM');
    try {
      expect(await signal).to.equal('SIGTERM');
      // Killed at once, it is gone as soon as it is reaped, well within its 5 s repeat (which would
      // otherwise run to its end before the child noticed that its parent is gone).
      for (let wait = 0; wait < 20 && alive(children[0]); wait++) await new Promise((r) => setTimeout(r, 100));
      expect(alive(children[0])).to.equal(false);
    } finally {
      if (alive(children[0])) process.kill(children[0], 'SIGKILL');
    }
    expect(existsSync(join(dir, 'signal', 'throughput.json'))).to.equal(false);
  });
});
