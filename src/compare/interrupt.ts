/**
 * Ctrl-C for a command that runs an experiment: SIGINT or SIGTERM aborts a signal (compare() then
 * ends its runs and workers), a second one exits at once, and the exit status follows the shell's
 * convention (128 + the signal's number). Also the command line that resumes the experiment. What
 * to print and when is the CLI's.
 */

export interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** The signal received, null while none. */
  received(): NodeJS.Signals | null;
  /** Removes the handlers: signals act as Node's defaults again. */
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Installs the handlers; `notice` is told of the first signal. */
export function interruptOnSignals(notice: (signal: NodeJS.Signals) => void): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals): void => {
    if (received) process.exit(exitCodeFor(received));
    received = signal;
    notice(signal);
    controller.abort();
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => SIGNALS.forEach((s) => process.off(s, handler)),
  };
}

/** 130 for SIGINT, 143 for SIGTERM. */
export function exitCodeFor(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/**
 * The command that continues an experiment: spec.json in `outDir` holds the spec, so only the
 * options of the run itself follow.
 *
 * @example resumeCommand('runs/a b', { jobs: 2 }) -> "batchlab compare --resume --out 'runs/a b' --jobs 2"
 */
export function resumeCommand(
  outDir: string,
  run: {
    jobs?: number;
    checkpointEvery?: number;
    tensorboard?: boolean;
    quiet?: boolean;
    shard?: { index: number; count: number } | null;
  },
): string {
  const words = ['batchlab', 'compare', '--resume', '--out', shellQuote(outDir)];
  if (run.shard) words.push('--shard', `${run.shard.index}/${run.shard.count}`);
  if ((run.jobs ?? 1) > 1) words.push('--jobs', String(run.jobs));
  if (run.checkpointEvery !== undefined) words.push('--checkpoint-every', String(run.checkpointEvery));
  if (run.tensorboard) words.push('--tensorboard');
  if (run.quiet) words.push('--quiet');
  return words.join(' ');
}

/** `word` as one word of a POSIX shell command line, quoted only when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
