// The script each thread of tfjs' threaded wasm build runs, as a Node worker_thread. tfjs ships the
// Emscripten worker code only as a string (wasm-out/*.worker.js exports it) and hands it to workers
// as a blob URL, which Node's Worker refuses; this file is the real script it needs. Node runs it
// directly, also from the TypeScript sources, so it is written in the JavaScript subset of
// TypeScript: no imports, no types (hence the lint rules for untyped values are off here). The code
// is evaluated here rather than globally because it needs this module's `require` and `__filename`.
// Escaping "\n" keeps the newline escapes inside its string literals, as tfjs does for its blob.
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument */
const workerSource = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
eval(workerSource.wasmWorkerContents.replace(/\n/g, '\\n'));
