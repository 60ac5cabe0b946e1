/**
 * batchlab's SIMD kernels (the ./*.wat modules), instantiated on the wasm backend's own memory so
 * that they work on tensors in place. Owns finding that memory (exported by tfjs' one-thread build,
 * imported, and shared, by its threaded build, which then needs the modules' shared-memory
 * variants) and caching one set of instances per memory, their exports merged into one object.
 * Returns null where the kernels cannot run (no SIMD in this runtime, or a backend build that
 * does not expose its memory); callers then use their TypeScript loops.
 */
import type { ArrayBackend } from '../../kernel-call';
import type { PoolGeometry } from '../plain-pool';
import type { ConvGeometry } from './conv-geometry';
import { KERNEL_MODULES_BASE64 } from './kernels-wasm';
import { threadedKernels } from './threaded';

/** The exports of the .wat modules; pointers are byte offsets, see the .wat for each contract. */
export interface SimdKernels {
  colSums(x: number, rows: number, c: number, acc: number): void;
  colSumsBlocks(x: number, rows: number, c: number, acc: number, block: number): void;
  colCentredSquaresBlocks(x: number, rows: number, c: number, mean: number, acc: number, block: number): void;
  colGradSumsBlocks(dy: number, x: number, rows: number, c: number, mean: number, acc: number, block: number): void;
  colCentredSquares(x: number, rows: number, c: number, mean: number, acc: number): void;
  colGradSums(dy: number, x: number, rows: number, c: number, mean: number, accDy: number, accDyXc: number): void;
  normalize(x: number, rows: number, c: number, mean: number, scale: number, shift: number, y: number): void;
  normalizeGrad(
    dy: number,
    x: number,
    rows: number,
    c: number,
    mean: number,
    k: number,
    e: number,
    g: number,
    dx: number,
  ): void;
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    pOut: number,
    mOut: number,
    vOut: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    d1: number,
    d2: number,
    eps: number,
    negLr: number,
  ): void;
  matMulRows(
    a: number,
    b: number,
    c: number,
    m: number,
    k: number,
    n: number,
    aRow: number,
    aCol: number,
    acc: number,
  ): void;
  matMulDots(a: number, b: number, c: number, m: number, k: number, n: number): void;
  gemm(a: number, b: number, c: number, m: number, k: number, n: number, aRow: number, aCol: number, acc: number): void;
  gemmDots(a: number, b: number, c: number, m: number, k: number, n: number): void;
  gemmBlocked(
    a: number,
    b: number,
    c: number,
    m: number,
    k: number,
    n: number,
    aRow: number,
    aCol: number,
    kBlock: number,
  ): void;
  /** Output rows [m0, m0 + rows) of a convolution, then bias (a pointer, 0 for none) and ReLU (1 or 0). */
  convRows(
    x: number,
    w: number,
    out: number,
    cols: number,
    m0: number,
    rows: number,
    ...geometryAndEpilogue: [...ConvGeometry, bias: number, relu: number]
  ): void;
  /** Slots [s0, s0 + slots) of `total` of a convolution's filter gradient over m output positions. */
  convFilterGradSlots(
    x: number,
    dy: number,
    partials: number,
    cols: number,
    s0: number,
    slots: number,
    total: number,
    m: number,
    ...geometry: ConvGeometry
  ): void;
  /** x [batch, inH, inW, c] into xp [batch, pH, pW, c] after `top` rows and `left` columns of zeros, zeros after. */
  padInput(
    x: number,
    xp: number,
    batch: number,
    inH: number,
    inW: number,
    c: number,
    pH: number,
    pW: number,
    top: number,
    left: number,
  ): void;
  relu(x: number, y: number, n: number): void;
  reluGrad(dy: number, x: number, dx: number, n: number): void;
  maxPool2x2(x: number, y: number, ...geometry: PoolGeometry): void;
  maxPoolGrad2x2(x: number, dy: number, dx: number, ...geometry: PoolGeometry): void;
}

/**
 * The part of the WebAssembly global used here. Node has it, but its types live in TypeScript's DOM
 * library, which this package does not compile against.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmModule {
  readonly kind?: never;
}
interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: { env: { memory: WasmMemory } }) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

const instances = new WeakMap<WasmMemory, SimdKernels>();
const compiled = new Map<boolean, WasmModule[] | null>();
/** Suffixes the build gives the variants (scripts/build-simd.ts): shared memory, then FMA. */
const SHARED_SUFFIX = '.shared';
const FMA_SUFFIX = '.fma';

/**
 * tfjs-backend-wasm 4.x keeps its Emscripten module as `wasm`: the one-thread build exports its
 * memory (`asm.memory`), the threaded build creates it in JavaScript (`wasmMemory`).
 */
function backendMemory(backend: ArrayBackend): WasmMemory | null {
  const wasm = (backend as { wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown } }).wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  return memory instanceof wasmApi.Memory ? memory : null;
}

/**
 * The bytes of each module for a shared or unshared memory: its FMA variant where there is one and
 * this runtime validates it (relaxed SIMD: on by default from Node 22, behind
 * --experimental-wasm-relaxed-simd in Node 20), else the plain one.
 */
function moduleBinaries(shared: boolean): Uint8Array[] {
  const variant = (name: string, fma: boolean) =>
    KERNEL_MODULES_BASE64[`${name}${shared ? SHARED_SUFFIX : ''}${fma ? FMA_SUFFIX : ''}`];
  const bases = Object.keys(KERNEL_MODULES_BASE64).filter((name) => !name.includes('.'));
  return bases.map((name) => {
    const fma = variant(name, true);
    const fmaBytes = fma === undefined ? null : Buffer.from(fma, 'base64');
    return fmaBytes && wasmApi.validate(fmaBytes) ? fmaBytes : Buffer.from(variant(name, false), 'base64');
  });
}

/** Whether the matrix products use relaxed SIMD's fused multiply-add in this runtime. */
export function productsUseFma(): boolean {
  const fma = KERNEL_MODULES_BASE64[`mat-mul${FMA_SUFFIX}`];
  return fma !== undefined && wasmApi.validate(Buffer.from(fma, 'base64'));
}

/** Every module of one variant compiled, or null where the runtime rejects one (no SIMD, no threads). */
export function compiledModules(shared: boolean): WasmModule[] | null {
  let modules = compiled.get(shared);
  if (modules === undefined) {
    const binaries = moduleBinaries(shared);
    modules = binaries.every((bytes) => wasmApi.validate(bytes))
      ? binaries.map((bytes) => new wasmApi.Module(bytes))
      : null;
    compiled.set(shared, modules);
  }
  return modules;
}

/** Whether `memory` is shared between threads (tfjs' threaded build). */
export function isSharedMemory(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

export function simdKernels(backend: ArrayBackend): SimdKernels | null {
  const memory = backendMemory(backend);
  const modules = memory && compiledModules(isSharedMemory(memory));
  if (!memory || !modules) return null;
  let kernels = instances.get(memory);
  if (!kernels) {
    const exports = modules.map((module) => new wasmApi.Instance(module, { env: { memory } }).exports as object);
    const local = Object.assign({}, ...exports) as SimdKernels;
    // On a shared heap the large calls are split across the kernel threads (one thread: as here).
    kernels = isSharedMemory(memory) ? threadedKernels(local, memory, () => modules) : local;
    instances.set(memory, kernels);
  }
  return kernels;
}
