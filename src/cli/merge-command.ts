/**
 * `batchlab merge <dir>`: gathers a planned experiment's shards into results.jsonl, summary.csv,
 * the plots and report.html, prints the summary table, and names every cell that is missing or
 * failed with the command that reruns it. Exits 1 when a cell is missing, failed or stopped early.
 */
import type { Argv } from 'yargs';
import { shellQuote } from '../compare/interrupt';
import { OpenCell, merge } from '../compare/merge';
import { describeOutcome, outcomeOf } from '../compare/outcome';
import { cellLines } from '../compare/plan-file';
import { describeShard } from '../compare/shard';
import { summaryTable } from '../report/summary';

export function mergeOptions(yargs: Argv) {
  return yargs
    .positional('dir', {
      type: 'string',
      demandOption: true,
      describe: 'the experiment directory (--out of its shards)',
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'no summary table' });
}

type MergeArgs = Awaited<ReturnType<typeof mergeOptions>['argv']>;

export async function runMerge(args: MergeArgs): Promise<void> {
  const dir = args.dir;
  const result = await merge(dir);
  if (!args.quiet) process.stdout.write(`${summaryTable(result.summary)}\n\n`);
  process.stdout.write(
    `merged ${result.results.length} of ${result.cells} cells from ${result.shardFiles} shard files\n` +
      `results: ${result.files.results}\nsummary: ${result.files.summary}\n` +
      (result.files.report ? `report:  ${result.files.report}\n` : ''),
  );
  if (result.backends.length > 1) {
    process.stderr.write(
      `batchlab: the cells ran on different backends (${result.backends.join(', ')}): their numbers differ in the last digits from one machine's\n`,
    );
  }
  const lines: string[] = [];
  if (result.missing.length > 0)
    lines.push(`missing ${result.missing.length} cells (no shard recorded them):`, ...list(result.missing));
  if (result.failed.length > 0) lines.push(`failed ${result.failed.length} cells:`, ...list(result.failed));
  const open = [...result.missing, ...result.failed];
  if (open.length > 0) {
    const quoted = shellQuote(dir);
    // Each shard reruns its own open cells; without a known shard count, one process reruns them all.
    const shards = [...new Set(open.map((o) => (o.shard ? describeShard(o.shard) : '')))];
    const commands = shards.includes('')
      ? [`  batchlab compare --resume --out ${quoted}`]
      : shards.map((s) => `  batchlab compare --resume --out ${quoted} --shard ${s}`);
    lines.push('rerun them with:', ...commands, `then merge again: batchlab merge ${quoted}`);
    process.exitCode = 1;
  }
  const outcome = describeOutcome(outcomeOf(result.results));
  if (outcome) {
    lines.push(`batchlab: ${outcome}; see ${result.files.results}`);
    process.exitCode = 1;
  }
  if (lines.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
}

/** "  3  mlp/sgd/bn/adam/lr0.001/seed0  (shard 1/2): <error>" */
function list(cells: OpenCell[]): string[] {
  const numbered = cellLines(cells.map((o) => o.cell));
  return cells.map((o, i) => {
    const shard = o.shard ? `  (shard ${describeShard(o.shard)})` : '';
    return `${numbered[i]}${shard}${o.error === undefined ? '' : `: ${o.error}`}`;
  });
}
