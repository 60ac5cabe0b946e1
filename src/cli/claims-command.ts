/**
 * `batchlab claims`: runs the claims experiment and prints each claim with its evidence and verdict
 * (a Markdown table), then where claims.json and report.html are. Ctrl-C ends the runs and exits
 * 130 (143 for SIGTERM), saying how to resume; an --out that already holds results is refused with
 * exit 2 unless resuming.
 */
import type { Argv } from 'yargs';
import { claimsPlanLine } from '../claims/claims-spec';
import { claimsMarkdown } from '../claims/claims-table';
import { runClaims } from '../claims/run-claims';
import { exitCodeFor, interruptOnSignals, shellQuote } from '../compare/interrupt';
import { UsageError } from './parse';
import { CompareInterrupted } from '../compare/outcome';
import { progressBar } from '../training';

export function claimsOptions(yargs: Argv) {
  return yargs
    .option('out', {
      type: 'string',
      describe: 'output directory (must hold no results unless --resume) [default: runs/claims-<time>]',
    })
    .option('resume', {
      type: 'boolean',
      default: false,
      describe: 'keep the runs already in --out/results.jsonl, run the rest, then check the claims',
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .check((argv) => {
      if (argv.resume && !argv.out) throw new UsageError('--resume needs --out <the directory to resume>');
      return true;
    });
}

type ClaimsArgs = Awaited<ReturnType<typeof claimsOptions>['argv']>;

export async function runClaimsCommand(args: ClaimsArgs): Promise<void> {
  const log = (line: string): void => {
    if (!args.quiet) process.stderr.write(`${line}\n`);
  };
  log(claimsPlanLine());
  const interrupt = interruptOnSignals((signal) =>
    process.stderr.write(`\n${signal}: stopping the runs in progress\n`),
  );
  try {
    const result = await runClaims({
      outDir: args.out,
      resume: args.resume,
      log,
      callbacks: () => (args.quiet ? [] : [progressBar({ heldOut: 'test' })]),
      signal: interrupt.signal,
    });
    process.stdout.write(`${claimsMarkdown(result.checks)}\n\n`);
    process.stdout.write(
      `claims:  ${result.files.claims}\nreport:  ${result.files.report}\nresults: ${result.files.results}\n`,
    );
  } catch (error) {
    if (!(error instanceof CompareInterrupted)) throw error;
    process.stderr.write(
      `${error.finished} of ${error.total} runs finished in ${error.outDir}; no verdicts written; resume with:\n  batchlab claims --resume --out ${shellQuote(error.outDir)}\n`,
    );
    process.exitCode = exitCodeFor(interrupt.received() ?? 'SIGINT');
  } finally {
    interrupt.dispose();
  }
}
