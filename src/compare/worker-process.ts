/**
 * One worker process for `compare --jobs k` and for each of an experiment's backends (worker.ts is
 * the other side): forks it, sends it the spec (and its backend) and then cells, and turns every
 * way it can end (an exit code, a signal, a failed start, a closed channel) into a RunnerLost error
 * that names the worker, the cause and the cell. Ending it (gracefully, or by SIGTERM and then
 * SIGKILL) is here too, and probing a backend in a process of its own; retries are pool.ts's.
 */
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { BackendName, BackendProbe } from '../backend';
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

/** How long a probe may take to start a backend (Dawn on software Vulkan takes seconds). */
const PROBE_MS = 120_000;

/**
 * Starts a worker called `name` and waits until it has its backend and data: `backend`, one of the
 * experiment's backends, or the spec's one; `threads`, what the wasm backend computes with there.
 */
export async function startWorker(
  spec: ExperimentSpec,
  name: string,
  backend?: BackendName,
  threads?: number,
): Promise<CellRunner> {
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
  const close = ({ force = false } = {}): Promise<void> => endWorker(child, exited, force);

  try {
    const init: ToWorker = { type: 'init', spec, ...(backend ? { backend } : {}), ...(threads ? { threads } : {}) };
    const ready = await request(init, ' while starting');
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
      return { id: cell.id, cell: cellRecord(cell), status: 'failed', error, backend: backend ?? spec.backend };
    },
    close,
  };
}

/**
 * Whether `backend` starts, asked in a process of its own so that this one's tfjs engine is left
 * as it was; a probe process that dies or does not answer makes the backend unavailable, saying so.
 */
export function probeInWorker(backend: BackendName): Promise<BackendProbe> {
  const child = forkWorker();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const answer = new Promise<BackendProbe>((resolve) => {
    const unavailable = (cause: string): void =>
      resolve({ name: backend, available: false, info: null, reason: `its probe process ${cause}` });
    child.once('message', (message: FromWorker) =>
      message.type === 'probe' ? resolve(message.probe) : unavailable(`answered ${message.type}`),
    );
    child.once('exit', (code, signal) => unavailable(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    child.once('error', (error) => unavailable(`failed: ${error.message}`));
    setTimeout(() => unavailable(`did not answer within ${PROBE_MS / 1000} s`), PROBE_MS).unref();
    child.send({ type: 'probe', backend } satisfies ToWorker);
  });
  return answer.finally(() => endWorker(child, exited, false));
}

/**
 * Ends a worker: at once with `force` (SIGTERM), else by closing its channel, which it exits on;
 * SIGKILL when it has not exited GRACE_MS later.
 */
async function endWorker(child: ChildProcess, exited: Promise<void>, force: boolean): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (force) child.kill('SIGTERM');
  else if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
  await exited;
  clearTimeout(timer);
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
