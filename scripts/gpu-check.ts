/**
 * The check for a GPU machine without internet or npm (see scripts/gpu-bundle.sh, which bundles this
 * file with its dependencies): every backend batchlab finds, the parity of each against tfjs' stock
 * cpu, and samples/s of the trainer on each GPU backend against wasm for the MLP-BN and CNN-BN.
 *
 *   node gpu-check.js [--samples 4096] [--batch-sizes 128,1024] [--min-steps 24] [--backends webgpu,wasm]
 *     [--threads n]
 *
 * The CNN-BN trains on half as many samples as the MLP-BN. A timed pass is whole epochs over the
 * samples, as many as make at least --min-steps steps: at batch 1024 one epoch is only a few steps,
 * too few to time.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { miniBatch } from '../src/batching';
import {
  ALL_BACKENDS,
  BackendName,
  checkThreads,
  defaultThreads,
  MAX_THREADS,
  releaseWebGpu,
  useBackend,
} from '../src/backend';
import { checkParity, formatParity, formatProbes, probeBackends } from '../src/doctor';
import { join } from 'node:path';
import { EMBEDDED_DATA_DIR, loadDataset } from '../src/data/catalog';
import { readIdxFile } from '../src/data/idx';
import { disposeDataset, subset } from '../src/data/dataset';
import { cnn, mlp } from '../models';
import { UsageError } from '../src/cli/parse';
import { timeInterleaved, trainerPass } from './bench/measure';

const GPU_BACKENDS: BackendName[] = ['webgpu', 'tensorflow'];

interface Measure {
  model: 'MLP-BN' | 'CNN-BN';
  samples: number;
  batchSize: number;
  /** Epochs per timed pass. */
  epochs: number;
  threads: number;
}

/** Timed passes per backend and case (after one untimed). */
const REPEATS = 3;

/** Epochs of `stepsPerEpoch` steps that make at least `minSteps` steps. */
function epochsFor(stepsPerEpoch: number, minSteps: number): number {
  return Math.ceil(minSteps / stepsPerEpoch);
}

async function samplesPerSecond(
  backend: BackendName,
  { model, samples, batchSize, epochs, threads }: Measure,
): Promise<number> {
  await useBackend(backend, { threads });
  const { train, test } = await loadDataset('fashion-mnist-small');
  const part = subset(
    train,
    Int32Array.from({ length: samples }, (_, i) => i),
  );
  try {
    const builder = model === 'MLP-BN' ? mlp({ batchNorm: true }) : cnn({ batchNorm: true });
    const built = builder.build({ inputShape: part.inputShape, outputs: part.numClasses }, 0);
    try {
      const pass = trainerPass(built, part, miniBatch(batchSize), epochs);
      const [timing] = await timeInterleaved([pass], part.size * epochs, REPEATS);
      return timing?.samplesPerSecond ?? 0;
    } finally {
      built.dispose();
    }
  } finally {
    [train, part, ...(test ? [test] : [])].forEach(disposeDataset);
  }
}

function positiveIntegers(name: string, text: string): number[] {
  const values = text.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1))
    throw new UsageError(`--${name} must be whole numbers of 1 or more, comma-separated, got ${text}`);
  return values;
}

async function main(): Promise<void> {
  const args = await yargs(hideBin(process.argv))
    .option('samples', {
      type: 'string',
      default: '4096',
      describe: "the MLP-BN's training samples, each pass whole epochs over them (at most the embedded data, 6000)",
    })
    .option('batch-sizes', { type: 'string', default: '128,1024', describe: 'mini-batch sizes to time' })
    .option('min-steps', {
      type: 'string',
      default: '24',
      describe: 'least steps per timed pass (whole epochs over the samples)',
    })
    .option('backends', { type: 'string', describe: 'backends to check and time [every one that starts]' })
    .option('threads', {
      type: 'string',
      default: String(defaultThreads()),
      describe: `wasm's threads (1 to ${MAX_THREADS})`,
    })
    .strict()
    .fail((message) => {
      throw new UsageError(message);
    })
    .parseAsync();
  const [samples, ...more] = positiveIntegers('samples', args.samples);
  if (more.length > 0) throw new UsageError(`--samples takes one number, got ${args.samples}`);
  // Read from the labels file's header, before any backend starts.
  const available = readIdxFile(join(EMBEDDED_DATA_DIR, 'train-labels-idx1-ubyte.gz')).dims[0];
  if (samples > available)
    throw new UsageError(`--samples ${samples} is more than the embedded data set's ${available} training images`);
  const batchSizes = positiveIntegers('batch-sizes', args['batch-sizes']);
  const [minSteps, ...moreSteps] = positiveIntegers('min-steps', args['min-steps']);
  if (moreSteps.length > 0) throw new UsageError(`--min-steps takes one number, got ${args['min-steps']}`);
  const cnnSamples = Math.ceil(samples / 2);
  const largest = Math.max(...batchSizes);
  if (largest > cnnSamples)
    throw new UsageError(
      `--batch-sizes ${largest} is larger than the CNN-BN's ${cnnSamples} samples (half of --samples ${samples})`,
    );
  let threads: number;
  try {
    threads = checkThreads(Number(args.threads), '--threads');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const asked = args.backends?.split(',') ?? [...ALL_BACKENDS];
  const unknown = asked.filter((b) => !ALL_BACKENDS.includes(b as BackendName));
  if (unknown.length > 0)
    throw new UsageError(`--backends takes ${ALL_BACKENDS.join(', ')}; got ${unknown.join(', ')}`);
  const probes = await probeBackends({ threads });
  console.log(formatProbes(probes));
  const chosen = probes.filter((p) => p.available && asked.includes(p.name)).map((p) => p.name);
  if (chosen.length === 0) throw new Error(`none of ${asked.join(', ')} starts here (see above)`);
  console.log(`\nparity against stock cpu:\n${formatParity(await checkParity(chosen))}\n`);
  const gpus = chosen.filter((b) => GPU_BACKENDS.includes(b));
  // What wasm started with, which is one thread where its thread scripts are missing.
  const wasmThreads = probes.find((p) => p.name === 'wasm')?.info?.threads ?? threads;
  const withWasm = chosen.includes('wasm');
  for (const model of ['MLP-BN', 'CNN-BN'] as const) {
    for (const batchSize of batchSizes) {
      const modelSamples = model === 'CNN-BN' ? cnnSamples : samples;
      const stepsPerEpoch = Math.ceil(modelSamples / batchSize);
      const epochs = epochsFor(stepsPerEpoch, minSteps);
      const measure: Measure = { model, samples: modelSamples, batchSize, epochs, threads };
      const steps = epochs * stepsPerEpoch;
      const wasm = withWasm ? await samplesPerSecond('wasm', measure) : null;
      const line: string[] = [];
      if (wasm !== null)
        line.push(`wasm (${wasmThreads} thread${wasmThreads === 1 ? '' : 's'}) ${wasm.toFixed(0)} samples/s`);
      for (const gpu of gpus) {
        const value = await samplesPerSecond(gpu, measure);
        line.push(`${gpu} ${value.toFixed(0)} samples/s${wasm ? ` (${(value / wasm).toFixed(2)}x wasm)` : ''}`);
      }
      console.log(`${model} mini:${batchSize} (${REPEATS} x ${steps} steps)  ${line.join(', ')}`);
    }
  }
}

main()
  .catch((error: unknown) => {
    console.error(`gpu-check: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  })
  .finally(releaseWebGpu);
