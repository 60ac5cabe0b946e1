/**
 * The environment that keeps a cluster task within its CPUs: a task of t CPUs runs t worker
 * processes (compare --jobs t --threads 1), so each worker computes on one thread. wasm is told by
 * --threads (a node's affinity, which its threads would otherwise follow, is not the task's CPUs
 * without a task plugin); native TensorFlow (and the OpenMP of its kernels) would otherwise start a
 * pool as large as the node for every worker. Set by the Slurm script and the Indexed Job's pods alike.
 */
export const ONE_THREAD_PER_WORKER: Readonly<Record<string, string>> = {
  OMP_NUM_THREADS: '1',
  TF_NUM_INTRAOP_THREADS: '1',
  TF_NUM_INTEROP_THREADS: '1',
};
