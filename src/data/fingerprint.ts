/**
 * A data set's fingerprint: the SHA-256 of what training actually sees (shapes, task, and the bytes
 * of features and targets as loaded and normalised), so that processes on different machines can
 * check that they train on the same data. Which data to compare, and what to do about a difference,
 * is the caller's.
 */
import { createHash } from 'node:crypto';
import type { Dataset } from './dataset';

/**
 * The hex SHA-256 of `parts` in order. Reads each tensor once (asynchronously, so it works on every
 * backend); two loads of the same files with the same options give the same fingerprint.
 *
 * @example await datasetFingerprint([train, test]) -> 'e3b0c442...' (64 hex digits)
 */
export async function datasetFingerprint(parts: Dataset[]): Promise<string> {
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
