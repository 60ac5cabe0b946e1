/**
 * Builds data/fashion-mnist-small, the embedded default data set, from the full Fashion-MNIST files
 * of the Debian package dataset-fashion-mnist. Owns the selection rule (the first 600 training and
 * 100 test samples of each class, in file order) and the README and LICENSE beside the data; the IDX
 * byte format belongs to src/data/idx.ts. The output is deterministic: gzip with level 9 and no
 * timestamp, so rerunning on the same source gives identical files.
 *
 * Usage: npx tsx scripts/make-embedded-subset.ts [sourceDir]   (default /usr/share/datasets/fashion-mnist)
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IdxArray, readIdxFile, writeIdx } from '../src/data/idx';

const DEFAULT_SOURCE = '/usr/share/datasets/fashion-mnist';
const COPYRIGHT_FILE = '/usr/share/doc/dataset-fashion-mnist/copyright';
const OUT_DIR = resolve(__dirname, '..', 'data', 'fashion-mnist-small');

const SPLITS = [
  { prefix: 'train', perClass: 600 },
  { prefix: 't10k', perClass: 100 },
];

/** Indices of the first `perClass` samples of each class: walk in order, take while under quota. */
function firstPerClass(labels: Uint8Array, perClass: number): number[] {
  const taken = new Map<number, number>();
  const indices: number[] = [];
  labels.forEach((label, i) => {
    const count = taken.get(label) ?? 0;
    if (count < perClass) {
      taken.set(label, count + 1);
      indices.push(i);
    }
  });
  const short = [...taken].filter(([, count]) => count < perClass);
  if (short.length > 0)
    throw new Error(`classes ${short.map(([c]) => c).join(',')} have fewer than ${perClass} samples`);
  return indices;
}

/** The outermost-dimension slices of `array` at `indices`, in that order. */
function gather(array: IdxArray, indices: number[]): IdxArray {
  const rowSize = array.dims.slice(1).reduce((a, b) => a * b, 1);
  const data = new Uint8Array(indices.length * rowSize);
  indices.forEach((src, dst) => data.set(array.data.subarray(src * rowSize, (src + 1) * rowSize), dst * rowSize));
  return { dims: [indices.length, ...array.dims.slice(1)], data };
}

function writeGzippedIdx(fileName: string, array: IdxArray): void {
  const path = join(OUT_DIR, fileName);
  writeFileSync(path, gzipSync(writeIdx(array.dims, array.data), { level: 9 }));
  console.log(`${path}: dims [${array.dims.join(',')}], ${statSync(path).size} bytes`);
}

function makeSplit(sourceDir: string, prefix: string, perClass: number): number {
  const imagesName = `${prefix}-images-idx3-ubyte.gz`;
  const labelsName = `${prefix}-labels-idx1-ubyte.gz`;
  const labels = readIdxFile(join(sourceDir, labelsName));
  const indices = firstPerClass(labels.data, perClass);
  writeGzippedIdx(labelsName, gather(labels, indices));
  writeGzippedIdx(imagesName, gather(readIdxFile(join(sourceDir, imagesName)), indices));
  return indices.length;
}

interface Licence {
  copyright: string;
  text: string;
}

/** The upstream copyright line and the Expat (MIT) licence text from a Debian copyright file. */
function readLicence(path: string): Licence {
  const paragraphs = readFileSync(path, 'utf8').split(/\n\s*\n/);
  const upstream = paragraphs.find((p) => /^Files: \*$/m.test(p));
  const copyright = upstream?.match(/^Copyright: (.+)$/m)?.[1];
  const licence = paragraphs.find((p) => p.startsWith('License: Expat\n'));
  if (!copyright || !licence) {
    throw new Error(`${path}: expected a "Files: *" paragraph with a Copyright line and a "License: Expat" text`);
  }
  // Debian indents licence text by one space and writes blank lines as " .".
  const lines = licence
    .split('\n')
    .slice(1)
    .map((l) => l.replace(/^ /, '').replace(/^\.$/, '').trimEnd());
  return { copyright, text: lines.join('\n').trim() };
}

function licenceFile(licence: Licence): string {
  return `Fashion-MNIST\nCopyright: ${licence.copyright}\n\nMIT License (Expat)\n\n${licence.text}\n`;
}

function readme(counts: number[], licence: Licence): string {
  return `# fashion-mnist-small

A class-balanced subset of Fashion-MNIST, embedded so that batchlab has a default image data set
without downloads: 28x28 grey-scale images of clothing in 10 classes, as gzipped IDX files with the
same names as the full data set.

| files | samples | per class |
| --- | --- | --- |
| train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz | ${counts[0]} | ${SPLITS[0].perClass} |
| t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz | ${counts[1]} | ${SPLITS[1].perClass} |

Selection rule: walk each full file in its original order and take a sample while its class has
fewer than ${SPLITS[0].perClass} (training set) or ${SPLITS[1].perClass} (test set) samples taken.
The subset keeps the original order.

Source: Fashion-MNIST by Zalando Research (https://github.com/zalandoresearch/fashion-mnist),
as packaged by Debian (dataset-fashion-mnist). Licence: MIT (Expat), see LICENSE.

Copyright: ${licence.copyright}

Regenerate (deterministic; the source directory defaults to ${DEFAULT_SOURCE}):

    npx tsx scripts/make-embedded-subset.ts [sourceDir]
`;
}

function main(): void {
  const sourceDir = process.argv[2] ?? DEFAULT_SOURCE;
  const licence = readLicence(COPYRIGHT_FILE);
  mkdirSync(OUT_DIR, { recursive: true });
  const counts = SPLITS.map(({ prefix, perClass }) => makeSplit(sourceDir, prefix, perClass));
  writeFileSync(join(OUT_DIR, 'LICENSE'), licenceFile(licence));
  writeFileSync(join(OUT_DIR, 'README.md'), readme(counts, licence));
}

main();
