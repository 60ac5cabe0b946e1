/** `batchlab doctor`: every backend, available or not, and why. */
import { formatProbes, probeBackends } from '../backend';

export async function runDoctor(): Promise<void> {
  const probes = await probeBackends();
  process.stdout.write(`${formatProbes(probes)}\n`);
  const best = probes.find((p) => p.available);
  process.stdout.write(`auto picks: ${best ? best.name : 'none'}\n`);
}
