/**
 * What `batchlab doctor` reports: every backend batchlab knows, whether it starts here, and why
 * not. Starting a backend to probe it leaves the previously active backend active again.
 */
import * as tf from '@tensorflow/tfjs';
import { ALL_BACKENDS, BackendProbe, UseBackendOptions, probeBackend } from '../backend';

export type { BackendProbe };

export async function probeBackends(options: UseBackendOptions = {}): Promise<BackendProbe[]> {
  const previous = tf.getBackend();
  const probes: BackendProbe[] = [];
  for (const name of ALL_BACKENDS) probes.push(await probeBackend(name, options));
  if (previous) await tf.setBackend(previous);
  return probes;
}

export function formatProbes(probes: BackendProbe[]): string {
  return probes
    .map((p) => {
      if (!p.info) return `${p.name.padEnd(10)} unavailable: ${p.reason}`;
      const versions = Object.entries(p.info.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const notes = p.info.notes.map((n) => `\n${' '.repeat(11)}${n}`).join('');
      return `${p.name.padEnd(10)} available: ${p.info.device}, threads ${p.info.threads ?? 'n/a'} (${versions})${notes}`;
    })
    .join('\n');
}
