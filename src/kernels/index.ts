/**
 * batchlab's kernel packs, one per backend that runs them: ./wasm (kernels wasm lacks for
 * training, faster replacements of stock ones, and the fused kernels), ./cpu (the fused kernels)
 * and ./webgpu (the fused kernels and a filter gradient as shaders). The fused kernels of wasm and
 * cpu, one implementation for both packs, are ./fused; their contracts and the ops that call them
 * are src/ops. Choosing a backend, and whether to register a pack, is src/backend's.
 */
export { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from './wasm';
export { registerCpuTrainingKernels, unregisterCpuTrainingKernels } from './cpu';
export { registerWebGpuTrainingKernels, unregisterWebGpuTrainingKernels } from './webgpu';
export { setSimdThreads, simdThreads, simdThreadsUnavailable, stopSimdThreads } from './wasm/simd/pool';
export { productsUseFma } from './wasm/simd/instance';
