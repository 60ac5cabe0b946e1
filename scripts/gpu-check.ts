/**
 * The check for a GPU machine without internet or npm (see scripts/gpu-bundle.sh, which bundles this
 * file with its dependencies): every backend batchlab finds, the parity of each against tfjs' stock cpu, and
 * samples/s of the trainer on each GPU backend against wasm (on as many threads as it starts with here)
 * for the MLP-BN and CNN-BN at batch 128 and 1024.
 *
 *   node gpu-check.js [--samples 4096]   (the CNN-BN trains on half as many)
 */
import { miniBatch } from '../src/batching';
import { BackendName, releaseWebGpu, useBackend } from '../src/backend';
import { checkParity, formatParity, formatProbes, probeBackends } from '../src/doctor';
import { loadDataset } from '../src/data/catalog';
import { disposeDataset, subset } from '../src/data/dataset';
import { cnn, mlp } from '../models';
import { timeInterleaved, trainerPass } from './bench/measure';

const BATCH_SIZES = [128, 1024];

async function samplesPerSecond(
  backend: BackendName,
  model: 'MLP-BN' | 'CNN-BN',
  samples: number,
  batchSize: number,
): Promise<number> {
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
      const [timing] = await timeInterleaved([trainerPass(built, part, miniBatch(batchSize))], part.size, 3);
      return timing?.samplesPerSecond ?? 0;
    } finally {
      built.dispose();
    }
  } finally {
    [train, part, ...(test ? [test] : [])].forEach(disposeDataset);
  }
}

async function main(): Promise<void> {
  const samples = Number(process.argv[process.argv.indexOf('--samples') + 1]) || 4096;
  const probes = await probeBackends();
  console.log(formatProbes(probes));
  const available = probes.filter((p) => p.available).map((p) => p.name);
  console.log(`\nparity against stock cpu:\n${formatParity(await checkParity(available))}\n`);
  const gpus = available.filter((b) => b === 'webgpu' || b === 'tensorflow');
  const wasmThreads = probes.find((p) => p.name === 'wasm')?.info?.threads ?? 1;
  for (const model of ['MLP-BN', 'CNN-BN'] as const) {
    const modelSamples = model === 'CNN-BN' ? samples / 2 : samples;
    for (const batchSize of BATCH_SIZES) {
      const wasm = await samplesPerSecond('wasm', model, modelSamples, batchSize);
      const line = [`${model} mini:${batchSize}  wasm (${wasmThreads} threads) ${wasm.toFixed(0)} samples/s`];
      for (const gpu of gpus) {
        const value = await samplesPerSecond(gpu, model, modelSamples, batchSize);
        line.push(`${gpu} ${value.toFixed(0)} samples/s (${(value / wasm).toFixed(2)}x wasm)`);
      }
      console.log(line.join(', '));
    }
  }
}

main()
  .catch((error: unknown) => {
    console.error(`gpu-check: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(releaseWebGpu);
