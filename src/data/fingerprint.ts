/**
 * A data set's identity for checkpoints: its name, size, sample shape and classes, and a SHA-256
 * of its feature and target values, so that a checkpoint is never resumed on other data. Reading
 * the values back from the backend is one asynchronous download per tensor, done once per data
 * set object (the result is cached).
 */
import { createHash } from 'node:crypto';
import type { Dataset } from './dataset';

const cache = new WeakMap<Dataset, Promise<string>>();

/**
 * `blobs: 64 samples of [2], 3 classes, sha256 1f2e...` (the full hash).
 *
 * @example await datasetFingerprint(toDataset(raw, spec)) -> 'blobs: 64 samples of [2], 3 classes, sha256 9c1d...'
 */
export function datasetFingerprint(data: Dataset): Promise<string> {
  let found = cache.get(data);
  if (!found) {
    found = computeFingerprint(data);
    cache.set(data, found);
  }
  return found;
}

async function computeFingerprint(data: Dataset): Promise<string> {
  const hash = createHash('sha256');
  for (const tensor of [data.x, data.y]) {
    const values = await tensor.data();
    hash.update(`${tensor.dtype}[${tensor.shape.join(',')}]`);
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  const classes = data.task === 'classification' ? `${data.numClasses} classes` : 'regression';
  return `${data.name}: ${data.size} samples of [${data.inputShape.join(',')}], ${classes}, sha256 ${hash.digest('hex')}`;
}
