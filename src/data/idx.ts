/**
 * Reader and writer for the IDX format of MNIST and Fashion-MNIST, gzipped or raw. Owns the byte
 * layout, gzip detection, header validation and turning an images/labels file pair into RawData
 * (pixels scaled to [0, 1], labels as class indices). Moving RawData onto a backend belongs to
 * dataset.ts and choosing which files to load to the caller; nothing here touches tensorflow.
 *
 * Layout: two zero bytes, a type byte, a dimension count, one big-endian uint32 per dimension,
 * then the values row-major. Only type 0x08 (unsigned byte) is supported: both data sets use it.
 */
import { constants } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { RawData } from './dataset';
import { InputError } from './input-error';

export interface IdxArray {
  /** Size of each dimension, outermost first, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The values, row-major; product(dims) bytes. */
  data: Uint8Array;
}

export interface LoadIdxOptions {
  /** Keep only the first `limit` samples. Default: all of them. */
  limit?: number;
}

const UNSIGNED_BYTE = 0x08;
const MAX_DIMS = 4;
/** Node's largest Buffer: a file read here holds no more values. */
const MAX_VALUES = constants.MAX_LENGTH;

/** The IDX type codes, named for error messages. */
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

function product(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Parses raw (already gunzipped) IDX bytes; `fileName` only labels error messages. */
export function parseIdx(bytes: Uint8Array, fileName: string): IdxArray {
  checkFixedHeader(bytes, fileName);
  const numDims = bytes[3];
  const headerLength = 4 + 4 * numDims;
  if (bytes.length < headerLength) {
    throw new InputError(
      `${fileName}: expected a ${headerLength}-byte header for ${numDims} dimensions, found ${bytes.length} bytes`,
    );
  }
  // DataView reads big-endian by default, the byte order IDX prescribes.
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerLength);
  const dims = Array.from({ length: numDims }, (_, i) => view.getUint32(4 + 4 * i));
  // A corrupt header can name dims whose product no file (nor a double) holds exactly.
  if (product(dims) > MAX_VALUES) {
    throw new InputError(
      `${fileName}: dims [${dims.join(',')}] describe ${product(dims).toPrecision(3)} values, more than any file read here can hold (${MAX_VALUES} bytes); the header is corrupt`,
    );
  }
  const expected = headerLength + product(dims);
  if (bytes.length !== expected) {
    throw new InputError(`${fileName}: expected ${expected} bytes for dims [${dims.join(',')}], found ${bytes.length}`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Magic bytes, type and dimension count: the four bytes every IDX file starts with. */
function checkFixedHeader(bytes: Uint8Array, fileName: string): void {
  if (bytes.length < 4) {
    throw new InputError(`${fileName}: expected at least 4 header bytes, found ${bytes.length}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new InputError(`${fileName}: expected IDX magic bytes 0x00 0x00, found ${hex(bytes[0])} ${hex(bytes[1])}`);
  }
  if (bytes[2] !== UNSIGNED_BYTE) {
    const name = TYPE_NAMES[bytes[2]] ?? 'unknown type';
    throw new InputError(`${fileName}: expected data type 0x08 (unsigned byte), found ${hex(bytes[2])} (${name})`);
  }
  if (bytes[3] < 1 || bytes[3] > MAX_DIMS) {
    throw new InputError(`${fileName}: expected 1 to ${MAX_DIMS} dimensions, found ${bytes[3]}`);
  }
}

/** Reads an IDX file, gunzipping it first when it starts with the gzip magic bytes 0x1f 0x8b. */
export function readIdxFile(path: string): IdxArray {
  const bytes = readBytes(path);
  const isGzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  // A .gz that is not gzip is usually a failed download (an HTML page): say so, not "bad magic".
  if (!isGzip && path.endsWith('.gz')) {
    const start = Array.from(bytes.subarray(0, 2), hex).join(' ') || 'nothing (empty file)';
    throw new InputError(`${path}: named .gz but is not gzip data: expected the bytes 0x1f 0x8b, found ${start}`);
  }
  return parseIdx(isGzip ? gunzip(bytes, path) : bytes, path);
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path}: file not found`);
    throw new InputError(`${path}: cannot read the file (${code ?? (err as Error).message})`);
  }
}

function gunzip(bytes: Uint8Array, path: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new InputError(`${path}: expected valid gzip data, found a corrupt stream (${(err as Error).message})`);
  }
}

/**
 * Loads an images file [count, rows, cols] and a labels file [count] as RawData: features float32
 * in [0, 1] (pixel / 255) with inputShape [rows, cols, 1], targets the label bytes as Int32Array.
 */
export function loadIdxPair(imagesPath: string, labelsPath: string, opts: LoadIdxOptions = {}): RawData {
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  expectRank(images, 3, imagesPath, '[count, rows, cols]');
  expectRank(labels, 1, labelsPath, '[count]');
  if (images.dims[0] !== labels.dims[0]) {
    throw new InputError(
      `${imagesPath} has ${images.dims[0]} images but ${labelsPath} has ${labels.dims[0]} labels; expected equal counts`,
    );
  }
  const count = Math.min(images.dims[0], resolveLimit(opts.limit));
  const [, rows, cols] = images.dims;
  const features = new Float32Array(count * rows * cols);
  for (let i = 0; i < features.length; i++) features[i] = images.data[i] / 255;
  return { features, inputShape: [rows, cols, 1], targets: Int32Array.from(labels.data.subarray(0, count)) };
}

function expectRank(array: IdxArray, rank: number, path: string, layout: string): void {
  if (array.dims.length !== rank) {
    throw new InputError(`${path}: expected ${rank} dimensions ${layout}, found dims [${array.dims.join(',')}]`);
  }
}

function resolveLimit(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new InputError(`limit must be a positive integer, got ${limit}`);
  }
  return limit;
}

/** Raw (not gzipped) IDX bytes of unsigned-byte data with the given dims. */
export function writeIdx(dims: number[], data: Uint8Array): Uint8Array {
  if (dims.length < 1 || dims.length > MAX_DIMS) {
    throw new Error(`dims must have 1 to ${MAX_DIMS} entries, got [${dims.join(',')}]`);
  }
  if (!dims.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff)) {
    throw new Error(`dims must be non-negative 32-bit integers, got [${dims.join(',')}]`);
  }
  if (data.length !== product(dims)) {
    throw new Error(`data has ${data.length} bytes but dims [${dims.join(',')}] need ${product(dims)}`);
  }
  const headerLength = 4 + 4 * dims.length;
  const out = new Uint8Array(headerLength + data.length);
  const view = new DataView(out.buffer);
  view.setUint8(2, UNSIGNED_BYTE);
  view.setUint8(3, dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, headerLength);
  return out;
}
