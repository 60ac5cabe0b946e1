/**
 * measureThroughput: a throughput sweep over backends and batch sizes. Each backend is measured in
 * a child process of its own (./child), one after another so that they do not compete for the
 * CPU; a backend that does not start, or whose process fails, is reported with its reason while the
 * others still run. Input that no backend can measure (a batch larger than the data set, a broken
 * data file) is thrown as an InputError instead. The child is killed if this process exits or is
 * ended by SIGINT, SIGTERM or SIGHUP first.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../backend';
import { InputError } from '../data/input-error';
import { modelBuilder } from '../../models';
import { measureBackend } from './measure-backend';
import type { ChildOptions, FromChild, MeasureRequest } from './messages';
import {
  RepeatEvent,
  ThroughputOptions,
  ThroughputPoint,
  ThroughputSweep,
  resolveThroughputOptions,
  settingsOf,
} from './sweep';

/** Signals that end this process by default, and with it the measuring child. */
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** A backend's points, why it failed, or input that no backend can measure (thrown as an InputError). */
type Measured = { device: string; points: ThroughputPoint[] } | { failure: string } | { input: string };

/**
 * Samples/s of full training steps for every backend and batch size (see ThroughputOptions).
 * @example const sweep = await measureThroughput({ backends: ['wasm'], batchSizes: [64, 100, 128] });
 *   describeThroughput(sweep.points) // one sentence per backend
 */
export async function measureThroughput(options: ThroughputOptions = {}): Promise<ThroughputSweep> {
  const { onRepeat, ...childOptions } = resolveThroughputOptions(options);
  const opts = { ...childOptions, onRepeat };
  const sweep: ThroughputSweep = {
    model: opts.model,
    batchNorm: opts.batchNorm,
    data: opts.data,
    points: [],
    device: {},
    failures: [],
    modelDescription: modelBuilder(opts.model, { batchNorm: opts.batchNorm }).describe(),
    settings: settingsOf(opts),
  };
  for (const backend of opts.backends) {
    const measured = opts.isolate ? await inChild(backend, childOptions, onRepeat) : await inProcess(backend, opts);
    if ('input' in measured) throw new InputError(measured.input);
    if ('failure' in measured) sweep.failures.push({ backend, reason: measured.failure });
    else {
      sweep.device[backend] = measured.device;
      sweep.points.push(...measured.points);
    }
  }
  return sweep;
}

/** In this process; the backend active before is active again afterwards. */
async function inProcess(
  backend: BackendName,
  opts: ChildOptions & Pick<ThroughputOptions, 'onRepeat'>,
): Promise<Measured> {
  const previous = tf.getBackend();
  try {
    const result = await measureBackend(backend, opts);
    return { device: result.backend.device, points: result.points };
  } catch (error) {
    if (error instanceof InputError) throw error;
    return { failure: error instanceof Error ? error.message : String(error) };
  } finally {
    if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  }
}

function inChild(backend: string, options: ChildOptions, onRepeat?: (event: RepeatEvent) => void): Promise<Measured> {
  const fromSource = __filename.endsWith('.ts');
  const child = fork(join(__dirname, fromSource ? 'child.ts' : 'child.js'), [], {
    execArgv: fromSource ? ['--require', 'tsx/cjs'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // The child may be inside a repeat, deaf to its channel closing, so it is killed with this process.
  const endChild = (): void => {
    child.kill('SIGKILL');
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    endChild();
    stopWatching();
    // Default handling again (this process ends by the signal) unless the program handles it itself.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const stopWatching = (): void => {
    process.off('exit', endChild);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  process.once('exit', endChild);
  for (const signal of SIGNALS) process.once(signal, onSignal);
  return new Promise<Measured>((resolve) => {
    let answer: Measured | null = null;
    child.on('message', (message: FromChild) => {
      if (message.type === 'repeat') onRepeat?.(message.event);
      else if (message.type === 'done') answer = { device: message.device, points: message.points };
      else answer = message.input ? { input: message.reason } : { failure: message.reason };
    });
    child.on('error', (error) => {
      answer ??= { failure: `its process failed: ${error.message}` };
      child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => {
      stopWatching();
      resolve(answer ?? { failure: `its process ${signal ? `was killed by ${signal}` : `exited with code ${code}`}` });
    });
    child.send({ type: 'measure', backend, options } satisfies MeasureRequest);
  });
}
