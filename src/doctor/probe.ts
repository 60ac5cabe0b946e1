/**
 * What `batchlab doctor` reports: every backend batchlab knows, whether it starts here, and why
 * not. Starting a backend to probe it leaves the previously active backend active again.
 */
import * as tf from '@tensorflow/tfjs';
import { ALL_BACKENDS, BackendInfo, BackendName, UseBackendOptions, useBackend } from '../backend';

export interface BackendProbe {
  name: BackendName;
  available: boolean;
  info: BackendInfo | null;
  /** Why it is unavailable, or null. */
  reason: string | null;
}

export async function probeBackends(options: UseBackendOptions = {}): Promise<BackendProbe[]> {
  const previous = tf.getBackend();
  const probes: BackendProbe[] = [];
  for (const name of ALL_BACKENDS) {
    try {
      probes.push({ name, available: true, info: await useBackend(name, options), reason: null });
    } catch (error) {
      probes.push({
        name,
        available: false,
        info: null,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
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
