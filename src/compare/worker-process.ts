/**
 * One worker process for `compare --jobs k` (worker.ts is the other side): forks it, sends it the
 * spec and then cells, and turns every way it can end (an exit code, a signal, a failed start, a
 * closed channel) into a RunnerLost error that names the worker, the cause and the cell. Ending it
 * (gracefully, or by SIGTERM and then SIGKILL) is here too; retries are pool.ts's.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { cellRecord } from '../experiment/cells';
import type { ExperimentSpec } from '../experiment/spec';
import { CellRunner, FromWorker, RunnerLost, ToWorker } from './runners';

/** How long a worker may take to exit once asked, before it is killed. */
const GRACE_MS = 3000;

interface Pending {
  resolve: (message: FromWorker) => void;
  reject: (error: Error) => void;
  /** " while running <cell>", for the message when the worker is lost. */
  doing: string;
}

/** Starts a worker called `name` and waits until it has its backend and data. */
export async function startWorker(spec: ExperimentSpec, name: string): Promise<CellRunner> {
  const child = forkWorker();
  const label = `${name} (pid ${child.pid ?? '-'})`;
  let pending: Pending | null = null;
  let ended: string | null = null;
  const lose = (cause: string): void => {
    ended ??= cause;
    const waiting = pending;
    pending = null;
    waiting?.reject(new RunnerLost(`${label} ${cause}${waiting.doing}`));
  };
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      lose(signal ? `was killed by ${signal}` : `exited with code ${code}`);
      resolve();
    }),
  );
  // A failed fork or send: the process may still be there, so it is ended too.
  child.on('error', (error) => {
    lose(`failed: ${error.message}`);
    child.kill('SIGKILL');
  });
  child.on('message', (message: FromWorker) => {
    const waiting = pending;
    pending = null;
    waiting?.resolve(message);
  });
  const request = (message: ToWorker, doing: string): Promise<FromWorker> =>
    new Promise((resolve, reject) => {
      if (ended !== null || !child.connected) {
        reject(new RunnerLost(`${label} ${ended ?? 'is disconnected'}${doing}`));
        return;
      }
      pending = { resolve, reject, doing };
      child.send(message, (error) => {
        // A worker that died just now also fails the send: its exit, when it comes, names the cause.
        if (error) setTimeout(() => lose(`could not be sent a message (${error.message})`), GRACE_MS).unref();
      });
    });
  const close = async ({ force = false } = {}): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (force) child.kill('SIGTERM');
    else if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    const ready = await request({ type: 'init', spec }, ' while starting');
    if (ready.type === 'error') throw new RunnerLost(`${label} failed to start: ${ready.message}`);
  } catch (error) {
    await close({ force: true });
    throw error;
  }
  return {
    name: label,
    run: async (cell, settings) => {
      const reply = await request({ type: 'run', cellId: cell.id, settings }, ` while running ${cell.id}`);
      if (reply.type === 'result') return reply.result;
      // The worker is alive but could not run the cell: that cell failed, the worker goes on.
      const error = reply.type === 'error' ? reply.message : `unexpected reply ${reply.type}`;
      return { id: cell.id, cell: cellRecord(cell), status: 'failed', error, backend: spec.backend };
    },
    close,
  };
}

/** Forks worker.js (compiled) or worker.ts (run through tsx, as in the tests). */
function forkWorker() {
  const fromSource = __filename.endsWith('.ts');
  const script = join(__dirname, fromSource ? 'worker.ts' : 'worker.js');
  return fork(script, [], {
    execArgv: fromSource ? ['--require', 'tsx/cjs'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
