/**
 * A data set's identity for checkpoints: its name, size, sample shape and classes, and a SHA-256
 * of its feature and target values, so that a checkpoint is never resumed on other data. Reading
 * the values back from the backend is one asynchronous download per tensor, done once per data
 * set object (the result is cached).
 *
 * `contentFingerprint` is the hash alone, over several parts (a data set's training and test
 * splits), so that processes on different machines can check that they train on the same data.
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

/**
 * The hex SHA-256 of `parts` in order. Reads each tensor once (asynchronously, so it works on every
 * backend); two loads of the same files with the same options give the same fingerprint.
 *
 * @example await contentFingerprint([train, test]) -> 'e3b0c442...' (64 hex digits)
 */
export async function contentFingerprint(parts: Dataset[]): Promise<string> {
  const hash = createHash('sha256');
  for (const part of parts) {
    // The header keeps [2, 3] and [3, 2] of the same bytes apart.
    hash.update(`${part.task}:${part.x.shape.join('x')}:${part.y.shape.join('x')}\n`);
    for (const tensor of [part.x, part.y]) {
      const values = await tensor.data();
      hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  }
  return hash.digest('hex');
}
