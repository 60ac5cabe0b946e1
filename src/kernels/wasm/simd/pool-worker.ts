// A kernel thread (./pool starts n - 1 of them): the same SIMD modules instantiated on the same
// shared memory, waiting on the control block for work. Woken for a job, it claims and runs chunks
// until none is left, counting each done; an exception is recorded in the block, never left to
// hang the caller.
// Node runs this file directly, also from the TypeScript sources, without a TypeScript loader (one
// per thread would start a compiler process per thread), so it is written in the JavaScript subset
// of TypeScript: no imports, no types (hence the lint rules for untyped values are off here); the
// block's layout arrives with the thread's data (./pool-protocol).
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument */
const { workerData: pool } = require('node:worker_threads');
const layout = pool.layout;
// Reflect.get: the WebAssembly global's types live in TypeScript's DOM library, not compiled against.
const wasmApi = Reflect.get(globalThis, 'WebAssembly');
const kernels = Object.assign(
  {},
  ...Array.from(
    { length: pool.modules.length },
    (_, i) => new wasmApi.Instance(pool.modules[i], { env: { memory: pool.memory } }).exports,
  ),
);
const words = new Int32Array(pool.control);
const chunks = Array.from(
  { length: layout.maxChunks },
  (_, i) => new Float64Array(pool.control, layout.argsByte + i * layout.maxArgs * 8, layout.maxArgs),
);

// The block starts at generation 0: a job posted before this thread got here is still seen as new.
let generation = 0;
for (;;) {
  Atomics.wait(words, layout.generation, generation);
  generation = Atomics.load(words, layout.generation);
  if (Atomics.load(words, layout.stop) !== 0) break;
  // Claim chunks until none is left. A claim that succeeds holds the job open (the caller waits for
  // every claimed chunk), so its count, kernel and arguments stay as they were when it was made.
  for (;;) {
    const chunk = Atomics.add(words, layout.next, 1);
    const count = Atomics.load(words, layout.count);
    if (chunk >= count) break;
    const args = chunks[chunk];
    try {
      kernels[layout.kernels[Atomics.load(words, layout.kernel)]](...Array.from(args.subarray(1, 1 + args[0])));
    } catch {
      Atomics.store(words, layout.failed, pool.slot);
    }
    Atomics.add(words, layout.done, 1);
    Atomics.notify(words, layout.done);
  }
}
