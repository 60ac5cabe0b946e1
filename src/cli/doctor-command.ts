/**
 * `batchlab doctor`: every backend, available or not, and why; for an installed tfjs-node-gpu,
 * the CUDA and cuDNN libraries its libtensorflow needs and which of them the loader cannot find.
 */
import { formatProbes, probeBackends } from '../backend';
import { checkCudaSetup, formatCudaReport } from '../backend/cuda-requirements';
import { NATIVE_PACKAGES, findNativePackage } from '../backend/native';

export async function runDoctor(): Promise<void> {
  const probes = await probeBackends();
  process.stdout.write(`${formatProbes(probes)}\n`);
  // As 'auto' decides: webgpu counts only on a hardware adapter.
  const best = probes.find((p) => p.available && !(p.name === 'webgpu' && !p.info?.gpu));
  process.stdout.write(`auto picks: ${best ? best.name : 'none'}\n`);
  const gpuPackage = findNativePackage(NATIVE_PACKAGES.filter((p) => p.name.endsWith('-gpu')));
  if (gpuPackage) {
    const lines = formatCudaReport(checkCudaSetup(gpuPackage.dir));
    process.stdout.write(`\n${gpuPackage.name} ${gpuPackage.version} (${gpuPackage.dir}):\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  }
}
