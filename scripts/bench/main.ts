/**
 * npm run bench: samples per second of batchlab's trainer against tfjs-layers' model.fit on the
 * same backend, model and batch size (and against stock tfjs-wasm, without batchlab's kernel
 * pack), for SGD, mini-batch 32 and 128 and full batch, MLP-BN and CNN-BN, on every backend asked
 * for, each with its achieved GFLOP/s (./flops); before them, a reference section (./reference): SGD
 * updates/s of the MLP without BN, first epoch against second, the SIMD product's peak GFLOP/s; then the peak memory of a full-batch update on all of Fashion-MNIST with micro-batches.
 * Numbers, not asserts: warm-up passes excluded, the trainer's and model.fit's passes interleaved
 * (so drift in the machine's speed affects both alike), medians of repeats, all in one run; the
 * trainer/model.fit ratio is the median of the per-round ratios. With more than one thread, a
 * section (./threads) compares wasm with --threads n against --threads 1.
 *
 *   npm run bench -- [--backends wasm,cpu] [--threads 2] [--repeats 5] [--quick] [--json bench.json]
 */
import { existsSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import * as tf from '@tensorflow/tfjs';
import { Strategy, fullBatch, miniBatch, sgd } from '../../src/batching';
import {
  BackendName,
  MAX_THREADS,
  defaultThreads,
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  useBackend,
} from '../../src/backend';
import { DEBIAN_FASHION_MNIST_DIR, disposeLoaded, loadDataset } from '../../src/data/catalog';
import { Dataset, disposeDataset, subset } from '../../src/data/dataset';
import { writeJsonAtomic } from '../../src/io/atomic-write';
import { cnn, mlp, ModelBuilder } from '../../models';
import { fitPass, median, peakBytesOfStep, timeInterleaved, trainerPass } from './measure';
import { trainingFlopsPerSample } from './flops';
import { referenceLines } from './reference';
import { threadLines } from './threads';

interface Case {
  model: 'MLP-BN' | 'CNN-BN';
  strategy: Strategy;
  batch: number;
  samples: number;
  /** Epochs per timed pass: full batch runs several, so that a pass is more than one update. */
  epochs: number;
}

interface Row {
  backend: string;
  model: string;
  strategy: string;
  batch: number;
  samples: number;
  batchlab: number | null;
  fit: number | null;
  /** Median over rounds of model.fit's pass time / the trainer's, each round running both back to back. */
  speedup: number | null;
  stockFit: number | null;
  /** batchlab's samples/s times the training FLOPs per sample counted from the model's shapes (./flops). */
  gflops: number | null;
  note?: string;
}

const builders: Record<Case['model'], () => ModelBuilder> = {
  'MLP-BN': () => mlp({ batchNorm: true }),
  'CNN-BN': () => cnn({ batchNorm: true }),
};

/**
 * Sample counts keep each pass to a second or two on wasm (the CNN gets a quarter of the MLP's);
 * the cpu backend gets an eighth, and of the CNN only mini-batch 32 (a few samples per second).
 */
function cases(backend: BackendName, quick: boolean): Case[] {
  const scale = (backend === 'cpu' ? 1 / 8 : 1) * (quick ? 1 / 4 : 1);
  const list: Case[] = [];
  for (const model of ['MLP-BN', 'CNN-BN'] as const) {
    const n = (count: number, batch: number): number =>
      Math.max(batch, 32, Math.round(count * scale * (model === 'CNN-BN' ? 1 / 4 : 1)));
    if (backend === 'cpu' && model === 'CNN-BN') {
      list.push({ model, strategy: miniBatch(32), batch: 32, samples: 64, epochs: 1 });
      continue;
    }
    list.push({ model, strategy: sgd(), batch: 1, samples: n(256, 1), epochs: 1 });
    list.push({ model, strategy: miniBatch(32), batch: 32, samples: n(2048, 32), epochs: 1 });
    list.push({ model, strategy: miniBatch(128), batch: 128, samples: n(4096, 128), epochs: 1 });
    const full = n(2048, 1);
    list.push({ model, strategy: fullBatch(), batch: full, samples: full, epochs: 4 });
  }
  return list;
}

async function measure(backend: BackendName, data: Dataset, c: Case, repeats: number): Promise<Row> {
  const part = subset(
    data,
    Int32Array.from({ length: c.samples }, (_, i) => i),
  );
  const row: Row = {
    backend,
    model: c.model,
    strategy: c.strategy.label,
    batch: c.batch,
    samples: c.samples,
    batchlab: null,
    fit: null,
    speedup: null,
    stockFit: null,
    gflops: null,
  };
  const shape = { inputShape: part.inputShape, outputs: part.numClasses };
  const models = [0, 1].map(() => builders[c.model]().build(shape, 0));
  try {
    const passes = [trainerPass(models[0], part, c.strategy, c.epochs), fitPass(models[1], part, c.batch, c.epochs)];
    const [trainer, fit] = await timeInterleaved(passes, c.samples * c.epochs, repeats);
    row.batchlab = trainer?.samplesPerSecond ?? null;
    row.gflops = row.batchlab === null ? null : (row.batchlab * trainingFlopsPerSample(models[0])) / 1e9;
    row.fit = fit?.samplesPerSecond ?? null;
    // Paired by round, so that the machine's drift between rounds cancels out of the ratio.
    row.speedup = trainer && fit ? median(trainer.passes.map((t, i) => fit.passes[i] / t)) : null;
    if (backend === 'wasm') row.stockFit = await stockFit(builders[c.model](), part, c, repeats, row);
  } catch (error) {
    row.note = (error as Error).message.split('\n')[0].slice(0, 80);
  } finally {
    models.forEach((m) => m.dispose());
    disposeDataset(part);
  }
  return row;
}

/**
 * The same model made of tfjs' own layer classes: batchlab's layers save under the stock class
 * names, so a round trip through the topology gives the stock layers; the weights are copied.
 */
async function withStockLayers(model: tf.LayersModel): Promise<tf.LayersModel> {
  try {
    const stock = await tf.models.modelFromJSON({
      modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'],
    });
    stock.setWeights(model.getWeights());
    return stock;
  } finally {
    model.dispose();
  }
}

/** model.fit on wasm with tfjs' own layers and kernels (null, with the reason, where it cannot train). */
async function stockFit(
  builder: ModelBuilder,
  data: Dataset,
  c: Case,
  repeats: number,
  row: Row,
): Promise<number | null> {
  unregisterWasmTrainingKernels();
  // Stock wasm has no filter gradient; a fit that throws half-way would also leave its tensors behind.
  if (c.model === 'CNN-BN' && !tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    registerWasmTrainingKernels();
    row.note = "stock tfjs-backend-wasm has no 'Conv2DBackpropFilter' kernel, so a CNN cannot train";
    return null;
  }
  const model = await withStockLayers(builder.build({ inputShape: data.inputShape, outputs: data.numClasses }, 0));
  try {
    const [timing] = await timeInterleaved([fitPass(model, data, c.batch, c.epochs)], c.samples * c.epochs, repeats);
    return timing?.samplesPerSecond ?? null;
  } catch (error) {
    row.note = (error as Error).message.split('\n')[0].slice(0, 80);
    return null;
  } finally {
    registerWasmTrainingKernels();
    model.dispose();
  }
}

const fmt = (v: number | null, digits = 0): string => (v === null ? 'n/a' : v.toFixed(digits));
const ratio = (a: number | null, b: number | null): string => (a === null || b === null ? 'n/a' : times(a / b));
const times = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(2)}x`);

function table(rows: Row[]): string {
  const header = [
    'backend',
    'model',
    'strategy',
    'batch',
    'batchlab samples/s',
    'model.fit samples/s',
    'ratio',
    'stock wasm fit',
    'vs stock',
    'GFLOP/s',
  ];
  const body = rows.map((r) => [
    r.backend,
    r.model,
    r.strategy,
    String(r.batch),
    fmt(r.batchlab),
    fmt(r.fit),
    times(r.speedup),
    r.backend === 'wasm' ? fmt(r.stockFit) : '-',
    r.backend === 'wasm' ? ratio(r.batchlab, r.stockFit) : '-',
    fmt(r.gflops, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.backend} ${r.model} ${r.strategy}: ${r.note}`);
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    ...(notes.length ? ['n/a because:', ...notes] : []),
  ].join('\n');
}

async function memoryRows(): Promise<string[]> {
  if (!existsSync(DEBIAN_FASHION_MNIST_DIR))
    return [
      `full-batch memory: skipped, ${DEBIAN_FASHION_MNIST_DIR} not found (apt-get install dataset-fashion-mnist)`,
    ];
  const data = await loadDataset('fashion-mnist');
  const dataBytes = tf.memory().numBytes;
  const lines = [
    `full batch over 60000 Fashion-MNIST samples, MLP-BN: peak tensor memory an update adds to the ${(dataBytes / 2 ** 20).toFixed(0)} MB of tensors already held:`,
  ];
  try {
    for (const microBatch of [undefined, 10000, 1000]) {
      const peak = await peakBytesOfStep(builders['MLP-BN'](), data.train, fullBatch({ microBatch }));
      lines.push(
        `  ${microBatch === undefined ? 'one pass    ' : `micro ${String(microBatch).padEnd(6)}`}  ${(peak / 2 ** 20).toFixed(0).padStart(5)} MB`,
      );
    }
  } finally {
    disposeLoaded(data);
  }
  return lines;
}

async function wasmReference(quick: boolean, threads: number): Promise<string[]> {
  await useBackend('wasm', { threads });
  const { train: data } = await loadDataset('fashion-mnist-small');
  try {
    return await referenceLines(data, quick);
  } finally {
    disposeDataset(data);
  }
}

async function main(): Promise<void> {
  const args = await yargs(hideBin(process.argv))
    .option('backends', { type: 'string', default: 'wasm,cpu', describe: 'comma-separated backends to measure' })
    .option('repeats', { type: 'number', default: 5, describe: 'timed passes per measurement (median)' })
    .option('quick', { type: 'boolean', default: false, describe: 'a quarter of the samples' })
    .option('threads', {
      type: 'number',
      default: defaultThreads(),
      describe: `wasm's threads (1 to ${MAX_THREADS}); above 1, also compared with one thread`,
    })
    .option('json', { type: 'string', describe: 'also write the rows to this JSON file' })
    .strict()
    .parseAsync();
  const threads = args.threads;
  const rows: Row[] = [];
  // First, while the process is cold: its first epoch is the one the reference times.
  const withWasm = args.backends.split(',').includes('wasm');
  const reference = withWasm ? await wasmReference(args.quick, threads) : [];
  for (const backend of args.backends.split(',') as BackendName[]) {
    const info = await useBackend(backend, { threads });
    process.stderr.write(`${backend}: ${info.device}${info.threads ? `, ${info.threads} thread(s)` : ''}\n`);
    const { train: data } = await loadDataset('fashion-mnist-small');
    for (const c of cases(backend, args.quick)) {
      rows.push(await measure(backend, data, c, args.repeats));
      process.stderr.write(`  ${c.model} ${c.strategy.label}: ${fmt(rows[rows.length - 1].batchlab)} samples/s\n`);
    }
    disposeDataset(data);
  }
  const threadComparison = withWasm && threads > 1 ? await threadLines(threads, args.repeats, args.quick) : [];
  await useBackend('wasm', { threads });
  const memory = await memoryRows();
  const sections = [reference.join('\n'), table(rows), threadComparison.join('\n'), memory.join('\n')];
  process.stdout.write(`${sections.filter((s) => s.length > 0).join('\n\n')}\n`);
  if (args.json)
    await writeJsonAtomic(args.json, { reference, rows, threads: threadComparison, memory, tfjs: tf.version_core });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
