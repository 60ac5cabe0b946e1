/**
 * Regenerates the README's sample outputs from real runs of the current code, so that they are
 * refreshed together. A sample is an indented code block between `<!-- sample: <name> -->` and
 * `<!-- /sample -->`; SAMPLES says which command makes it and which of its lines to show. Paths of
 * this machine become `...`, run directories `runs/<command>-<time>`. A sample whose data is not on
 * this machine is left as it is, and the script says so.
 *
 * Usage: npx tsx scripts/readme-samples.ts [name ...]   (default: every sample; about 3 minutes on 2 cores)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const README = join(ROOT, 'README.md');
const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

export interface Sample {
  name: string;
  /** The batchlab command line, as the README shows it beside the sample. */
  args: string[];
  /** 'both': stderr and stdout in the order printed; 'stdout': the summary only. */
  streams: 'both' | 'stdout';
  /** The exit status the command has on success. Default: 0. */
  status?: number;
  /** The lines to show, from the run's lines; default all. */
  pick?: (lines: string[]) => string[];
  /** Why the sample cannot be made here, or null. */
  unavailable?: () => string | null;
}

export const SAMPLES: Sample[] = [
  {
    name: 'train',
    args: ['train', '--model', 'mlp', '--batch-norm', '--strategy', 'mini:128', '--epochs', '3'],
    streams: 'both',
  },
  // The default experiment records SGD with BatchNorm as refused, so compare exits 1.
  { name: 'compare', args: ['compare'], streams: 'stdout', status: 1 },
  {
    name: 'train-fashion-mnist',
    args: [
      'train',
      '--data',
      'fashion-mnist',
      '--model',
      'mlp',
      '--batch-norm',
      '--strategy',
      'mini:128',
      '--epochs',
      '3',
    ],
    streams: 'stdout',
    pick: (lines) => lines.slice(0, 1),
    unavailable: () => (existsSync(FASHION_MNIST) ? null : `${FASHION_MNIST} is not here`),
  },
  {
    name: 'train-cnn',
    args: ['train', '--model', 'cnn', '--batch-norm', '--strategy', 'mini:64', '--epochs', '2'],
    streams: 'stdout',
    pick: (lines) => lines.slice(0, 1),
  },
];

/** A sample block: the marker lines and the code between them. */
const BLOCK = /(<!-- sample: ([\w-]+) -->\n\n)([\s\S]*?)(\n<!-- \/sample -->)/g;

/** The names of the sample blocks in `markdown`, in order. */
export function sampleNames(markdown: string): string[] {
  return [...markdown.matchAll(BLOCK)].map((m) => m[2]);
}

/** `markdown` with the block called `name` holding `lines` as an indented code block. */
export function replaceSample(markdown: string, name: string, lines: string[]): string {
  const code = lines.map((l) => (l === '' ? '' : `    ${l}`)).join('\n');
  return markdown.replace(BLOCK, (whole, open: string, found: string, _code: string, close: string) =>
    found === name ? `${open}${code}\n${close}` : whole,
  );
}

/**
 * A run's output as the README shows it: `cwd` (the run's directory) and the checkout become `...`,
 * run directories' timestamps `<time>`, and trailing spaces go.
 * @example tidy('model: /tmp/x/runs/train-2026-01-02T03-04-05-678Z/model', '/tmp/x') -> 'model: .../runs/train-<time>/model'
 */
export function tidy(text: string, cwd: string): string {
  return text
    .split(cwd)
    .join('...')
    .split(ROOT)
    .join('...')
    .replace(/\b(train|compare)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z/g, '$1-<time>')
    .replace(/[ \t]+$/gm, '');
}

/** Runs the sample's command from source in a fresh directory and returns its lines as shown. */
function runSample(sample: Sample): string[] {
  const cwd = mkdtempSync(join(tmpdir(), 'batchlab-sample-'));
  try {
    const main = join(ROOT, 'src', 'cli', 'main.ts');
    const node = [process.execPath, '--require', require.resolve('tsx/cjs'), main, ...sample.args];
    // One pipe for both streams keeps the order in which the lines were printed.
    const both = sample.streams === 'both' ? ' 2>&1' : ' 2>/dev/null';
    const run = spawnSync('sh', ['-c', `${node.map(quote).join(' ')}${both}`], { cwd, encoding: 'utf8' });
    if (run.status !== (sample.status ?? 0)) {
      throw new Error(`batchlab ${sample.args.join(' ')} exited ${run.status}:\n${run.stdout}${run.stderr}`);
    }
    const lines = tidy(run.stdout, cwd).replace(/\n+$/, '').split('\n');
    return sample.pick ? sample.pick(lines) : lines;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function main(names: string[]): void {
  let markdown = readFileSync(README, 'utf8');
  const inReadme = sampleNames(markdown);
  const unknown = names.filter((n) => !SAMPLES.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`no sample called ${unknown.join(', ')}; samples: ${inReadme.join(', ')}`);
  for (const sample of SAMPLES.filter((s) => names.length === 0 || names.includes(s.name))) {
    if (!inReadme.includes(sample.name)) throw new Error(`README.md has no block <!-- sample: ${sample.name} -->`);
    const why = sample.unavailable?.() ?? null;
    if (why) {
      process.stderr.write(`${sample.name}: left as it is (${why})\n`);
      continue;
    }
    process.stderr.write(`${sample.name}: batchlab ${sample.args.join(' ')}\n`);
    markdown = replaceSample(markdown, sample.name, runSample(sample));
    writeFileSync(README, markdown);
  }
}

if (require.main === module) main(process.argv.slice(2));
