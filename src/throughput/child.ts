/**
 * The child process that measures one backend for measureThroughput (./measure forks it), so that
 * no two backends ever share a tfjs engine: it takes one request, answers with a message per timed
 * repeat and then the points or the reason it failed, and exits. It exits too as soon as its parent
 * goes away (the IPC channel closes), so that an interrupted sweep leaves no process behind.
 */
import type { BackendName } from '../backend';
import { InputError } from '../data/input-error';
import { measureBackend } from './measure-backend';
import type { FromChild, MeasureRequest } from './messages';

function send(message: FromChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) process.exit(1);
    process.send?.(message, undefined, {}, () => resolve());
  });
}

async function measure(request: MeasureRequest): Promise<void> {
  try {
    const result = await measureBackend(request.backend as BackendName, {
      ...request.options,
      onRepeat: (event) => void send({ type: 'repeat', event }),
    });
    await send({ type: 'done', device: result.backend.device, points: result.points });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await send({ type: 'failed', reason, input: error instanceof InputError });
  }
  process.exit(0);
}

process.on('disconnect', () => process.exit(1));
process.once('message', (request: MeasureRequest) => void measure(request));
