/**
 * The check for a GPU machine without internet or npm (see scripts/gpu-bundle.sh, which bundles this
 * file with its dependencies): every backend batchlab finds, the parity of each against tfjs' stock cpu, and
 * samples/s of the trainer on webgpu against wasm for the MLP-BN and CNN-BN at batch 128.
 *
 *   node gpu-check.js [--samples 2048]
 */
import { miniBatch } from '../src/batching';
import { BackendName, releaseWebGpu, useBackend } from '../src/backend';
import { checkParity, formatParity, formatProbes, probeBackends } from '../src/doctor';
import { loadDataset } from '../src/data/catalog';
import { disposeDataset, subset } from '../src/data/dataset';
import { cnn, mlp } from '../models';
import { timeInterleaved, trainerPass } from './bench/measure';

async function samplesPerSecond(backend: BackendName, model: 'MLP-BN' | 'CNN-BN', samples: number): Promise<number> {
  await useBackend(backend);
  const { train, test } = await loadDataset('fashion-mnist-small');
  const part = subset(
    train,
    Int32Array.from({ length: Math.min(samples, train.size) }, (_, i) => i),
  );
  try {
    const builder = model === 'MLP-BN' ? mlp({ batchNorm: true }) : cnn({ batchNorm: true });
    const built = builder.build({ inputShape: part.inputShape, outputs: part.numClasses }, 0);
    try {
      const [timing] = await timeInterleaved([trainerPass(built, part, miniBatch(128))], part.size, 3);
      return timing?.samplesPerSecond ?? 0;
    } finally {
      built.dispose();
    }
  } finally {
    [train, part, ...(test ? [test] : [])].forEach(disposeDataset);
  }
}

async function main(): Promise<void> {
  const samples = Number(process.argv[process.argv.indexOf('--samples') + 1]) || 2048;
  const probes = await probeBackends();
  console.log(formatProbes(probes));
  const available = probes.filter((p) => p.available).map((p) => p.name);
  console.log(`\nparity against stock cpu:\n${formatParity(await checkParity(available))}\n`);
  const gpus = available.filter((b) => b === 'webgpu' || b === 'tensorflow');
  for (const model of ['MLP-BN', 'CNN-BN'] as const) {
    const wasm = await samplesPerSecond('wasm', model, model === 'CNN-BN' ? samples / 4 : samples);
    const line = [`${model} mini:128  wasm ${wasm.toFixed(0)} samples/s`];
    for (const gpu of gpus) {
      const value = await samplesPerSecond(gpu, model, model === 'CNN-BN' ? samples / 4 : samples);
      line.push(`${gpu} ${value.toFixed(0)} samples/s (${(value / wasm).toFixed(2)}x wasm)`);
    }
    console.log(line.join(', '));
  }
}

main()
  .catch((error: unknown) => {
    console.error(`gpu-check: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(releaseWebGpu);
