/**
 * One side of the bench's thread comparison (./threads forks one per thread count): starts wasm
 * with the threads asked for, then times one trainer pass per request, building each case's model
 * once. Ends when its parent goes away.
 */
import type * as tf from '@tensorflow/tfjs';
import { parseStrategy } from '../../src/batching';
import { useBackend } from '../../src/backend';
import { loadDataset } from '../../src/data/catalog';
import { Dataset, subset } from '../../src/data/dataset';
import { cnn, mlp } from '../../models';
import { trainerPass } from './measure';
import type { ThreadCase, ThreadsReply, ThreadsRequest } from './threads';

let data: Dataset | null = null;
const passes = new Map<string, () => Promise<number>>();
const models: tf.LayersModel[] = [];

function reply(message: ThreadsReply): void {
  process.send?.(message);
}

function passOf(c: ThreadCase, all: Dataset): () => Promise<number> {
  const key = JSON.stringify(c);
  let pass = passes.get(key);
  if (!pass) {
    const part = subset(
      all,
      Int32Array.from({ length: c.samples }, (_, i) => i),
    );
    const builder = c.model === 'MLP' ? mlp({ batchNorm: c.batchNorm }) : cnn({ batchNorm: c.batchNorm });
    const model = builder.build({ inputShape: part.inputShape, outputs: part.numClasses }, 0);
    models.push(model);
    pass = trainerPass(model, part, parseStrategy(c.strategy), c.epochs);
    passes.set(key, pass);
  }
  return pass;
}

async function handle(message: ThreadsRequest): Promise<void> {
  try {
    if (message.type === 'init') {
      const info = await useBackend('wasm', { threads: message.threads });
      data = (await loadDataset('fashion-mnist-small')).train;
      reply({ type: 'ready', threads: info.threads ?? 1 });
    } else if (data) {
      reply({ type: 'seconds', seconds: await passOf(message.case, data)() });
    }
  } catch (error) {
    reply({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
  }
}

process.on('disconnect', () => process.exit(0));
process.on('message', (message: ThreadsRequest) => void handle(message));
