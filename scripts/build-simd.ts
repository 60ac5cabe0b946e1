/**
 * Compiles the wasm backend's SIMD kernels (src/kernels/wasm/simd/*.wat, one module per
 * concern) into the TypeScript module that ships them as base64 (kernels-wasm.ts, committed, so
 * that installing batchlab needs no WebAssembly toolchain). A test fails when the two drift apart.
 *
 *   npm run build:simd
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../src/io/atomic-write';

export const SIMD_DIR = path.join(__dirname, '..', 'src', 'kernels', 'wasm', 'simd');
const MODULE_FILE = path.join(SIMD_DIR, 'kernels-wasm.ts');

/** Node's WebAssembly.validate; its types live in TypeScript's DOM library, which the build leaves out. */
const wasmValidate = (bytes: Uint8Array): boolean =>
  (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(bytes);

/** How every .wat module imports the backend's memory. */
const MEMORY_IMPORT = '(import "env" "memory" (memory 1))';
/** Suffix of the variant that links to a shared memory (tfjs' threaded build). */
export const SHARED_SUFFIX = '.shared';

/**
 * The same module importing a shared memory instead: a module declaring an unshared memory import
 * cannot link to a shared one. Shared memories need a maximum; 65536 pages (4 GiB) accepts any.
 */
export function sharedMemoryVariant(wat: string, file = 'module'): string {
  if (!wat.includes(MEMORY_IMPORT)) throw new Error(`${file} does not import its memory as ${MEMORY_IMPORT}`);
  return wat.replace(MEMORY_IMPORT, '(import "env" "memory" (memory 1 65536 shared))');
}

/** Suffix of the variant whose products use relaxed SIMD's fused multiply-add, where the runtime has it. */
export const FMA_SUFFIX = '.fma';
/** The modules with an FMA variant: the matrix products, where a multiply-add is the inner loop. */
const FMA_MODULES = ['mat-mul', 'mat-mul-dots'];

/** The end of the s-expression that opens at `start` (a '('), as the index after its ')'. */
function expressionEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i + 1;
  }
  throw new Error(`unbalanced parentheses from offset ${start}`);
}

/** The s-expressions inside the one spanning [start, end), in order (its operands). */
function operands(text: string, start: number, end: number): string[] {
  const found: string[] = [];
  for (let i = text.indexOf('(', start + 1); i >= 0 && i < end - 1; i = text.indexOf('(', i)) {
    const close = expressionEnd(text, i);
    found.push(text.slice(i, close));
    i = close;
  }
  return found;
}

/**
 * The same module with every (f32x4.add acc (f32x4.mul a b)) as (f32x4.relaxed_madd a b acc): one
 * instruction, rounded once, where the runtime fuses it (V8 on x86 with FMA and on ARM), else the
 * same two roundings as before. Throws when `file` has none, so that a rewritten kernel is noticed.
 */
export function fusedMultiplyAddVariant(wat: string, file = 'module'): string {
  let out = '';
  let from = 0;
  let rewritten = 0;
  for (let i = wat.indexOf('(f32x4.add', from); i >= 0; i = wat.indexOf('(f32x4.add', from)) {
    const end = expressionEnd(wat, i);
    const [acc, product, ...extra] = operands(wat, i, end);
    const factors = product?.startsWith('(f32x4.mul') ? operands(product, 0, product.length) : [];
    if (extra.length > 0 || factors.length !== 2) {
      out += wat.slice(from, i + 1);
      from = i + 1;
      continue;
    }
    out += `${wat.slice(from, i)}(f32x4.relaxed_madd ${factors[0]} ${factors[1]} ${acc})`;
    from = end;
    rewritten++;
  }
  if (rewritten === 0) throw new Error(`${file} has no (f32x4.add acc (f32x4.mul a b)) to fuse`);
  return out + wat.slice(from);
}

/**
 * The binary module of each .wat source, by file name without the extension, in name order, each
 * followed by its shared-memory variant (name + SHARED_SUFFIX), and the products by their FMA
 * variants of both (+ FMA_SUFFIX).
 */
export async function compileKernels(): Promise<Map<string, Uint8Array>> {
  const wabt = await (await import('wabt')).default();
  const modules = new Map<string, Uint8Array>();
  const compile = (file: string, wat: string, shared: boolean, fma = false): Uint8Array => {
    const parsed = wabt.parseWat(file, wat, { simd: true, bulk_memory: true, threads: shared, relaxed_simd: fma });
    try {
      // wabt's validator rejects shared memories even with the threads feature on; V8's checks them,
      // but Node 20 knows relaxed SIMD only behind a flag: a shared FMA variant is checked as its two
      // halves (the same rewrites, each validated on its own), and by V8 before it is ever used.
      if (!shared) parsed.validate();
      const bytes = parsed.toBinary({}).buffer;
      if (shared && !fma && !wasmValidate(bytes))
        throw new Error(`${file}: the shared-memory variant does not validate`);
      return bytes;
    } finally {
      parsed.destroy();
    }
  };
  for (const file of readdirSync(SIMD_DIR)
    .filter((f) => f.endsWith('.wat'))
    .sort()) {
    const wat = readFileSync(path.join(SIMD_DIR, file), 'utf8');
    const name = file.replace(/\.wat$/, '');
    const shared = sharedMemoryVariant(wat, file);
    modules.set(name, compile(file, wat, false));
    modules.set(`${name}${SHARED_SUFFIX}`, compile(file, shared, true));
    if (!FMA_MODULES.includes(name)) continue;
    modules.set(`${name}${FMA_SUFFIX}`, compile(file, fusedMultiplyAddVariant(wat, file), false, true));
    modules.set(
      `${name}${SHARED_SUFFIX}${FMA_SUFFIX}`,
      compile(file, fusedMultiplyAddVariant(shared, file), true, true),
    );
  }
  return modules;
}

/** The TypeScript source that carries `modules`. */
export function moduleSource(modules: Map<string, Uint8Array>): string {
  const entries = [...modules].flatMap(([name, bytes]) => {
    const lines =
      Buffer.from(bytes)
        .toString('base64')
        .match(/.{1,96}/g) ?? [];
    return [`  '${name}':`, ...lines.map((line, i) => `    '${line}'${i === lines.length - 1 ? ',' : ' +'}`)];
  });
  return [
    '// Generated by scripts/build-simd.ts from the .wat files beside it; do not edit.',
    'export const KERNEL_MODULES_BASE64: Record<string, string> = {',
    ...entries,
    '};',
    '',
  ].join('\n');
}

export function committedModuleSource(): string {
  return readFileSync(MODULE_FILE, 'utf8');
}

async function main(): Promise<void> {
  const modules = await compileKernels();
  await writeFileAtomic(MODULE_FILE, moduleSource(modules));
  const bytes = [...modules.values()].reduce((n, b) => n + b.length, 0);
  console.log(`${path.relative(process.cwd(), MODULE_FILE)}: ${modules.size} modules, ${bytes} bytes of wasm`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
