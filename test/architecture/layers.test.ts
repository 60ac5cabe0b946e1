/**
 * The folders of src/ (and models/) form layers, each importing only from the layers below it, so
 * that no arrow runs back up. The order here is the one the README's Architecture section draws.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Bottom to top; folders on one line are peers and do not import each other. */
const LAYERS: string[][] = [
  ['src/util'],
  ['src/data', 'src/batching'],
  ['src/io'],
  ['src/ops'],
  ['src/kernels'],
  ['src/backend'],
  ['models'],
  ['src/training'],
  ['src/throughput'],
  ['src/experiment'],
  ['src/report'],
  ['src/compare', 'src/doctor'],
  ['src/claims'],
  ['src/cli'],
  ['src/index.ts'],
];

function layerOf(path: string): number {
  return LAYERS.findIndex((folders) => folders.some((f) => path === f || path.startsWith(`${f}/`)));
}

function unitOf(path: string): string {
  return LAYERS.flat().find((f) => path === f || path.startsWith(`${f}/`)) ?? path;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import|require\()\s*'(\.{1,2}\/[^']*)'/g)].map((m) => m[1]);
  return specifiers.map((s) => relative(ROOT, resolve(dirname(file), s)));
}

describe('architecture', () => {
  const files = [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'models'))];

  it('places every source folder in a layer', () => {
    const unplaced = files.map((f) => relative(ROOT, f)).filter((f) => layerOf(f) < 0);
    expect(unplaced).to.deep.equal([]);
  });

  it('imports only from lower layers (or within the same folder)', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = relative(ROOT, file);
      for (const target of relativeImports(file)) {
        const sameUnit = unitOf(from) === unitOf(target);
        if (!sameUnit && layerOf(target) >= layerOf(from)) upward.push(`${from} -> ${target}`);
      }
    }
    expect(upward).to.deep.equal([]);
  });
});
