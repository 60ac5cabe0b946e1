/**
 * The environment that keeps a cluster task within its CPUs: a task of t CPUs runs t worker
 * processes (compare --jobs t), so each worker computes on one thread. wasm runs one thread in Node
 * anyway; native TensorFlow (and the OpenMP of its kernels) would otherwise start a pool as large
 * as the node for every worker. Set by the Slurm script and the Indexed Job's pods alike.
 */
export const ONE_THREAD_PER_WORKER: Readonly<Record<string, string>> = {
  OMP_NUM_THREADS: '1',
  TF_NUM_INTRAOP_THREADS: '1',
  TF_NUM_INTEROP_THREADS: '1',
};
