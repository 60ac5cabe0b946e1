/**
 * `batchlab doctor`: every backend, available or not, and why; for an installed tfjs-node-gpu,
 * the CUDA and cuDNN libraries its libtensorflow needs and which of them the loader cannot find.
 */
import type { Argv } from 'yargs';
import { AUTO_ORDER } from '../backend';
import { NATIVE_PACKAGES, findNativePackage } from '../backend/native';
import { checkCudaSetup, checkParity, formatCudaReport, formatParity, formatProbes, probeBackends } from '../doctor';

export function doctorOptions(yargs: Argv) {
  return yargs.option('parity', {
    type: 'boolean',
    default: false,
    describe:
      "also train a BN MLP and a BN CNN a few steps on every available backend and compare the losses with tfjs' stock cpu backend",
  });
}

export async function runDoctor(args: { parity: boolean }): Promise<void> {
  const probes = await probeBackends();
  process.stdout.write(`${formatProbes(probes)}\n`);
  const best = probes.find((p) => p.available && AUTO_ORDER.includes(p.name));
  process.stdout.write(`auto picks: ${best ? best.name : 'none'}\n`);
  const gpuPackage = findNativePackage(NATIVE_PACKAGES.filter((p) => p.name.endsWith('-gpu')));
  if (gpuPackage) {
    const lines = formatCudaReport(checkCudaSetup(gpuPackage.dir));
    process.stdout.write(
      `\n${gpuPackage.name} ${gpuPackage.version} (${gpuPackage.dir}):\n${lines.map((l) => `  ${l}`).join('\n')}\n`,
    );
  }
  if (args.parity) {
    const available = probes.filter((p) => p.available).map((p) => p.name);
    process.stdout.write(
      `\nparity (a few SGD steps from identical weights, against tfjs' stock cpu backend):\n${formatParity(await checkParity(available))}\n`,
    );
  }
}
