/** Runs the batchlab command from source, as a user's shell would, and returns what it printed. */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const CLI_MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');

export function batchlab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', CLI_MAIN, ...args], {
    encoding: 'utf8',
    timeout: 120000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A batchlab process started from source, still running, with what it has printed so far. */
export interface RunningBatchlab {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr matches `pattern`; rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<void>;
  /** The exit status (null when ended by a signal) and the signal, once the process has ended. */
  exited: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the batchlab command from source without waiting for it, to signal it while it runs. */
export function startBatchlab(...args: string[]): RunningBatchlab {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', CLI_MAIN, ...args], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal })),
  );
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(err)) return;
        child.stderr.off('data', check);
        resolve();
      };
      child.stderr.on('data', check);
      void exited.then(() => reject(new Error(`batchlab ended before printing ${pattern}:\n${err}`)));
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, exited };
}

/** The batchlab command from source, without blocking this process (which may serve it), with `env`. */
export function runBatchlab(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', CLI_MAIN, ...args], { env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}
