/**
 * data.json beside a saved model: how the training data was encoded (class names of the outputs,
 * the features' standardisation statistics), so that new data can be encoded the same way. Owns the
 * record and its checks on reading; writing it and its place in the model directory belong to
 * ./model-files.
 */
import { readFile } from 'node:fs/promises';
import type { FeatureStatistics } from '../data/catalog';
import { InputError } from '../data/input-error';

/** How the training data was encoded, so that new data can be encoded the same way. */
export interface DataEncoding {
  /** Class name of each output unit, in order; null when unknown or for regression. */
  classNames: string[] | null;
  /** Features go in as (x - mean) / std with these per-feature statistics; null when not standardised. */
  standardizer: FeatureStatistics | null;
}

export async function readEncoding(path: string): Promise<DataEncoding> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { classNames: null, standardizer: null };
    throw new InputError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = parseJsonFile(text, path);
  if (!isEncoding(parsed)) {
    throw new InputError(`${path}: expected { classNames: string[] | null, standardizer: { mean, std } | null }`);
  }
  return { classNames: parsed.classNames, standardizer: parsed.standardizer };
}

function isEncoding(value: unknown): value is DataEncoding {
  if (typeof value !== 'object' || value === null) return false;
  const { classNames, standardizer } = value as Record<string, unknown>;
  const numbers = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'number');
  const namesOk = classNames === null || (Array.isArray(classNames) && classNames.every((c) => typeof c === 'string'));
  if (standardizer === null) return namesOk;
  if (typeof standardizer !== 'object' || standardizer === undefined) return false;
  const { mean, std } = standardizer as Record<string, unknown>;
  return namesOk && numbers(mean) && numbers(std) && (mean as number[]).length === (std as number[]).length;
}

function parseJsonFile(text: Buffer, path: string): unknown {
  try {
    return JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new InputError(`${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
