/** Writes one finished run as TensorBoard scalars: per-update loss (rate, gradient norm) by update, epoch metrics by epoch. */
import { join } from 'node:path';
import { openEventFile } from '../io/tensorboard/event-file';
import type { RunResult } from '../experiment/result';

export async function writeRunEvents(logRoot: string, result: RunResult): Promise<string | null> {
  if (result.status !== 'ok' || !result.history) return null;
  const writer = await openEventFile(join(logRoot, result.id.replace(/[^A-Za-z0-9_.:-]+/g, '_')));
  for (const u of result.history.updates) {
    writer.scalar('loss/per_update', u.loss, u.update);
    if (u.learningRate !== undefined) writer.scalar('lr/per_update', u.learningRate, u.update);
    if (u.gradNorm !== undefined) writer.scalar('grad_norm/per_update', u.gradNorm, u.update);
  }
  for (const e of result.history.epochs) {
    writer.scalar('epoch/train_loss', e.loss, e.epoch + 1);
    if (e.accuracy !== null) writer.scalar('epoch/train_accuracy', e.accuracy, e.epoch + 1);
    if (e.testLoss !== null) writer.scalar('epoch/test_loss', e.testLoss, e.epoch + 1);
    if (e.testAccuracy !== null) writer.scalar('epoch/test_accuracy', e.testAccuracy, e.epoch + 1);
    writer.scalar('epoch/seconds', e.seconds, e.epoch + 1);
  }
  for (const c of result.checkpoints ?? [])
    writer.scalar('probe/gradient_noise', c.gradientNoise.relativeVariance, c.updates);
  await writer.close();
  return writer.path;
}
