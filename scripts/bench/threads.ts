/**
 * The bench's thread comparison: the same build of tfjs' wasm backend (the threaded one) with 1
 * thread and with n, each in a process of its own (./threads-child), passes interleaved round by
 * round (1, n, n, 1, ...) so that the machine's drift falls on both; the speed-up is the median of
 * the per-round ratios. Rows: the cases users were promised a speed-up for, and those that must not
 * get slower (small work stays on one thread); then what handing work to another core costs here
 * (./hand-off). For the rows with a target above 1x, each round also runs n one-thread processes at
 * once, each on 1/n of the samples with 1/n of the batch: the same updates' work with nothing
 * shared or waited for, which bounds what splitting each step across n cores can give here.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseStrategy } from '../../src/batching';
import { median } from './measure';
import { handOffLines } from './hand-off';

export interface ThreadCase {
  model: 'MLP' | 'CNN';
  batchNorm: boolean;
  strategy: string;
  samples: number;
  epochs: number;
}
export type ThreadsRequest = { type: 'init'; threads: number } | { type: 'pass'; case: ThreadCase };
export type ThreadsReply =
  { type: 'ready'; threads: number } | { type: 'seconds'; seconds: number } | { type: 'failed'; reason: string };

interface ThreadRow {
  label: string;
  samples: number;
  /** Samples/s (median pass) with 1 thread and with n. */
  one: number;
  many: number;
  /** Median over rounds of (1-thread seconds / n-thread seconds). */
  speedup: number;
  /** Median over rounds of (1-thread seconds / the slowest of n one-thread processes on 1/n each). */
  separate: number | null;
  target: string;
}

/** The case cut in n: 1/n of the samples and of the batch; null where either does not divide. */
export function nthOf(c: ThreadCase, n: number): ThreadCase | null {
  const { kind, n: batch } = parseStrategy(c.strategy);
  if (kind === 'sgd' || c.samples % n !== 0 || (batch !== null && batch % n !== 0)) return null;
  const strategy = kind === 'mini' && batch !== null ? `mini:${batch / n}` : c.strategy;
  return { ...c, strategy, samples: c.samples / n };
}

/** Sample counts keep a pass near a second on 2 cores; quick: a quarter. */
function threadCases(quick: boolean): { c: ThreadCase; label: string; target: string }[] {
  const n = (count: number) => Math.max(128, Math.round(count * (quick ? 0.25 : 1)));
  return [
    { label: 'MLP-BN mini:128', target: '>= 1.7x', c: mlp(true, 'mini:128', n(5888)) },
    { label: 'CNN-BN mini:128', target: '>= 1.7x', c: cnn(true, 'mini:128', n(768)) },
    { label: 'MLP-BN full', target: '>= 1.7x', c: { ...mlp(true, 'full', n(4096)), epochs: 4 } },
    { label: 'CNN-BN full', target: '>= 1.7x', c: { ...cnn(true, 'full', n(512)), epochs: 2 } },
    { label: 'MLP-BN mini:32', target: '>= 1x', c: mlp(true, 'mini:32', n(2048)) },
    { label: 'MLP sgd', target: '>= 1x', c: mlp(false, 'sgd', n(1024)) },
  ];
}
const mlp = (batchNorm: boolean, strategy: string, samples: number): ThreadCase => ({
  model: 'MLP',
  batchNorm,
  strategy,
  samples,
  epochs: 1,
});
const cnn = (batchNorm: boolean, strategy: string, samples: number): ThreadCase => ({
  ...mlp(batchNorm, strategy, samples),
  model: 'CNN',
});

/** A child with `threads`, and a function that asks it for one request's answer. */
async function startChild(
  threads: number,
): Promise<{ child: ChildProcess; ask: (m: ThreadsRequest) => Promise<ThreadsReply> }> {
  const fromSource = __filename.endsWith('.ts');
  const child = fork(join(__dirname, fromSource ? 'threads-child.ts' : 'threads-child.js'), [], {
    execArgv: fromSource ? ['--require', 'tsx/cjs'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = (message: ThreadsRequest): Promise<ThreadsReply> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the ${threads}-thread process exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (reply: ThreadsReply) => {
        child.off('exit', onExit);
        if (reply.type === 'failed') reject(new Error(reply.reason));
        else resolve(reply);
      });
      child.send(message);
    });
  const ready = await ask({ type: 'init', threads });
  if (ready.type !== 'ready' || ready.threads !== threads)
    throw new Error(
      `asked wasm for ${threads} threads, it started with ${ready.type === 'ready' ? ready.threads : '?'}`,
    );
  return { child, ask };
}

async function seconds(ask: (m: ThreadsRequest) => Promise<ThreadsReply>, c: ThreadCase): Promise<number> {
  const reply = await ask({ type: 'pass', case: c });
  if (reply.type !== 'seconds') throw new Error(`unexpected reply ${reply.type}`);
  return reply.seconds;
}

/** The table's lines: 1 thread against `threads`, `repeats` interleaved rounds after a warm-up each. */
export async function threadLines(threads: number, repeats: number, quick: boolean): Promise<string[]> {
  const children: Awaited<ReturnType<typeof startChild>>[] = [];
  const rows: ThreadRow[] = [];
  try {
    // The 1-thread process, the n-thread one, then n - 1 more 1-thread ones for the separate runs.
    for (const t of [1, threads, ...Array.from({ length: threads - 1 }, () => 1)]) children.push(await startChild(t));
    const [one, many] = children;
    const singles = [one, ...children.slice(2)];
    for (const { c, label, target } of threadCases(quick)) {
      const part = target === '>= 1x' ? null : nthOf(c, threads);
      await seconds(one.ask, c);
      await seconds(many.ask, c);
      if (part) await Promise.all(singles.map((s) => seconds(s.ask, part)));
      const [t1, tn, tSeparate]: number[][] = [[], [], []];
      for (let round = 0; round < repeats; round++) {
        // Alternating which goes first, so that neither always follows the other's cache traffic.
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const side of order) (side === 0 ? t1 : tn).push(await seconds(side === 0 ? one.ask : many.ask, c));
        // Started together; the work is done when the slowest is.
        if (part) tSeparate.push(Math.max(...(await Promise.all(singles.map((s) => seconds(s.ask, part))))));
      }
      const work = c.samples * c.epochs;
      rows.push({
        label,
        samples: work,
        one: work / median(t1),
        many: work / median(tn),
        speedup: median(t1.map((s, i) => s / tn[i])),
        separate: part ? median(t1.map((s, i) => s / tSeparate[i])) : null,
        target,
      });
      process.stderr.write(`  threads ${label}: ${rows[rows.length - 1].speedup.toFixed(2)}x\n`);
    }
  } finally {
    for (const { child } of children) child.kill();
  }
  const header = `wasm, --threads ${threads} against --threads 1 (same threaded build, ${repeats} interleaved rounds, median of per-round ratios):`;
  const line = (cells: string[]) =>
    `  ${cells[0].padEnd(16)}  ${cells
      .slice(1)
      .map((c) => c.padStart(12))
      .join('  ')}`;
  return [
    header,
    line(['case', '1 thread /s', `${threads} threads /s`, 'speed-up', 'target', `${threads} processes`]),
    ...rows.map((r) =>
      line([
        r.label,
        r.one.toFixed(0),
        r.many.toFixed(0),
        `${r.speedup.toFixed(2)}x`,
        r.target,
        r.separate === null ? '' : `${r.separate.toFixed(2)}x`,
      ]),
    ),
    `  ${threads} processes: ${threads} one-thread processes at once, each on 1/${threads} of the samples with 1/${threads} of the batch (nothing shared), against one thread`,
    ...(await handOffLines()),
  ];
}
