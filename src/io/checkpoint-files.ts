/**
 * Training checkpoints on disk. Owns the layout of a checkpoint directory and the checks that name
 * the broken file on reading:
 *
 *   dir/epoch-000003/state.json   { format, version, state: <the caller's JSON>, tensors: [...] }
 *   dir/epoch-000003/tensors.bin  every tensor's values, raw, in the order state.json lists them
 *
 * Each epoch directory is written atomically (./atomic-dir), and once it is there the older ones
 * are removed: the directory holds the latest complete checkpoint (two for a moment). JSON keeps
 * non-finite numbers (a NaN loss) as `{ "nonFinite": "NaN" }`. What the state and tensors mean
 * belongs to src/training/checkpoint.ts.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../data/input-error';
import { removeTempEntries, writeDirAtomic } from './atomic-dir';

const FORMAT = 'batchlab-checkpoint';
const VERSION = 1;
const STATE_JSON = 'state.json';
const TENSORS_BIN = 'tensors.bin';

export interface StoredTensor {
  name: string;
  shape: number[];
  values: Float32Array | Int32Array;
}

export interface CheckpointFiles {
  /** Epochs completed when it was written. */
  epoch: number;
  /** Path of the epoch directory. */
  path: string;
  state: unknown;
  tensors: StoredTensor[];
}

interface TensorEntry {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
}

/** `epoch-000003` for 3 epochs: sorts as it counts. */
export function epochDirName(epoch: number): string {
  return `epoch-${String(epoch).padStart(6, '0')}`;
}

/** Epoch counts of the complete checkpoints in `dir`, ascending; [] when there is no such directory. */
export async function checkpointEpochs(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .map((name) => /^epoch-(\d{6,})$/.exec(name))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Writes the checkpoint after `epoch` epochs, then removes older ones and leftovers of killed writers. */
export async function writeCheckpointFiles(
  dir: string,
  epoch: number,
  state: unknown,
  tensors: StoredTensor[],
): Promise<string> {
  const entries: TensorEntry[] = tensors.map((t) => ({
    name: t.name,
    dtype: t.values instanceof Int32Array ? 'int32' : 'float32',
    shape: t.shape,
  }));
  const bytes = Buffer.concat(
    tensors.map((t) => Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength)),
  );
  const json = JSON.stringify({ format: FORMAT, version: VERSION, state, tensors: entries }, encodeNonFinite, 2);
  const path = join(dir, epochDirName(epoch));
  await writeDirAtomic(path, { [TENSORS_BIN]: new Uint8Array(bytes), [STATE_JSON]: `${json}\n` });
  const older = (await checkpointEpochs(dir)).filter((e) => e < epoch);
  await Promise.all(older.map((e) => rm(join(dir, epochDirName(e)), { recursive: true, force: true })));
  await removeTempEntries(dir);
  return path;
}

/** Reads the latest checkpoint in `dir`; an InputError names `dir` when it has none. */
export async function readLatestCheckpoint(dir: string): Promise<CheckpointFiles> {
  const epochs = await checkpointEpochs(dir);
  if (epochs.length === 0) throw new InputError(`${dir} holds no checkpoint (no epoch-NNNNNN directory)`);
  const epoch = epochs[epochs.length - 1];
  const path = join(dir, epochDirName(epoch));
  const statePath = join(path, STATE_JSON);
  const parsed = parseState(await readOrFail(statePath), statePath);
  const bin = await readOrFail(join(path, TENSORS_BIN));
  return { epoch, path, state: parsed.state, tensors: splitTensors(bin, parsed.tensors, join(path, TENSORS_BIN)) };
}

async function readOrFail(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new InputError(`cannot read checkpoint file ${path}: ${(err as Error).message}`);
  }
}

function parseState(text: Buffer, path: string): { state: unknown; tensors: TensorEntry[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'), decodeNonFinite);
  } catch (err) {
    throw new InputError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const fields = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (fields.format !== FORMAT || fields.version !== VERSION || !Array.isArray(fields.tensors)) {
    throw new InputError(`${path} is not a batchlab checkpoint (format ${FORMAT}, version ${VERSION})`);
  }
  return { state: fields.state, tensors: fields.tensors as TensorEntry[] };
}

function splitTensors(bin: Buffer, entries: TensorEntry[], path: string): StoredTensor[] {
  const sizes = entries.map((e) => e.shape.reduce((a, b) => a * b, 1));
  const expected = 4 * sizes.reduce((a, b) => a + b, 0);
  if (bin.byteLength !== expected) {
    throw new InputError(`${path} holds ${bin.byteLength} bytes but its ${entries.length} tensors need ${expected}`);
  }
  // A copy, so that each array starts on a 4-byte boundary whatever the Buffer's offset.
  const buffer = new Uint8Array(bin).buffer;
  let offset = 0;
  return entries.map((entry, i) => {
    const values =
      entry.dtype === 'int32' ? new Int32Array(buffer, offset, sizes[i]) : new Float32Array(buffer, offset, sizes[i]);
    offset += 4 * sizes[i];
    return { name: entry.name, shape: entry.shape, values };
  });
}

function encodeNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? { nonFinite: String(value) } : value;
}

function decodeNonFinite(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  const text = (value as { nonFinite?: unknown }).nonFinite;
  return keys.length === 1 && typeof text === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(text)
    ? Number(text)
    : value;
}
