/**
 * Runs one cell of an experiment and measures it: the trainer's history (the test set evaluated
 * each epoch as its validation, recorded as test metrics), training times (timing.ts), the memory of
 * one update (update-memory.ts), resident tensor bytes and the process's peak RSS, what BatchNorm
 * normalised over, the budget used, the tensor count at the end (a leak canary), time to a target
 * accuracy, and checkpoint probes (probes.ts). With checkpointing, a cell interrupted before resumes
 * from its last checkpoint (cell-checkpoint.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackendThreads } from '../backend';
import type { Dataset } from '../data/dataset';
import { BATCH_RENORM_DEFAULTS, BatchRenorm, ModelBuilder, modelBuilder } from '../../models';
import { Callback, EpochRecord, TrainOptions, train } from '../training';
import { ghostBatchOfVariant, variantOptions } from './bn-variants';
import { Budget, budgetCallback, budgetLimit, epochsFor } from './budget';
import { Cell, LrRule, cellRecord, cellSchedule } from './cells';
import { CellCheckpointing, cellTrainOptions, saveProbes, savedProbes } from './cell-checkpoint';
import { Checkpoint, takeCheckpoint } from './probes';
import type { RunEpoch, RunResult, RunTiming } from './result';
import { timeToTarget, timingOf } from './timing';
import { updatePeakBytes } from './update-memory';

export interface CellSettings {
  budget: Budget;
  /** Accuracy to reach, on the test set (else the training set). */
  target?: number;
  /** Epochs (after the first) at whose end a checkpoint is taken, besides the initial weights. */
  checkpointEpochs: number[];
  allowBatchNormBatchOfOne: boolean;
  /** Train ghost BN whose groups do not all divide the batch. Default: false. */
  allowShortGhostBatch?: boolean;
  /** The renorm cells' schedule. Default: the paper's. */
  batchRenorm?: BatchRenorm;
  /** cnn cells: BN in the dense head too. Default: true. */
  headBatchNorm?: boolean;
  /** mlp cells: units of each hidden layer. Default: the mlp's own. */
  hidden?: number[];
  /** The rule that set the cells' learning rates (a warm-up under `linear` starts at the unscaled rate). Default: fixed. */
  lrRule?: LrRule;
  /** Gradient clipping for every cell. Default: none. */
  clipNorm?: number;
  clipValue?: number;
  /** Extra callbacks, e.g. a progress display. */
  callbacks?: Callback[];
  /** Where this cell checkpoints and how often; one there already is resumed from. Default: none. */
  checkpoint?: CellCheckpointing;
}

/**
 * The cell's model: its BN variant and convention, the renorm schedule from the settings, and
 * headBatchNorm, a cnn option, for the cnn cells of an experiment, and hidden, an mlp option, for
 * its mlp cells.
 */
export function builderFor(
  cell: Pick<Cell, 'model' | 'bn'> & Partial<Pick<Cell, 'bnVariant' | 'bnConvention'>>,
  settings: Pick<CellSettings, 'batchRenorm' | 'headBatchNorm' | 'hidden'> = {},
): ModelBuilder {
  const batchRenorm = settings.batchRenorm ?? BATCH_RENORM_DEFAULTS;
  const variant = cell.bn && cell.bnVariant ? variantOptions(cell.bnVariant, batchRenorm) : {};
  const headBatchNorm = cell.model === 'cnn' ? settings.headBatchNorm : undefined;
  const hidden = cell.model === 'mlp' ? settings.hidden : undefined;
  return modelBuilder(cell.model, {
    batchNorm: cell.bn,
    bnConvention: cell.bnConvention,
    headBatchNorm,
    hidden,
    ...variant,
  });
}

/** The trainer's options of a cell, but for its callbacks and checkpoints: what its run is. */
export function cellTraining(cell: Cell, data: CellData, settings: CellSettings): TrainOptions {
  return {
    strategy: cell.strategy,
    optimizer: cell.optimizer,
    learningRate: cell.learningRate,
    schedule: cellSchedule(cell, settings.lrRule ?? { kind: 'fixed' }),
    // An updates budget ends the run mid-epoch: a schedule spanning the run spans the budget.
    scheduleUpdates: settings.budget.kind === 'updates' ? settings.budget.updates : undefined,
    clipNorm: settings.clipNorm,
    clipValue: settings.clipValue,
    seed: cell.seed,
    epochs: epochsFor(settings.budget, cell.strategy.updatesPerEpoch(data.train.size)),
    validation: data.test ?? undefined,
    allowBatchNormBatchOfOne: settings.allowBatchNormBatchOfOne,
    allowShortGhostBatch: settings.allowShortGhostBatch,
    bnAccumulation: cell.bnAccumulation,
  };
}

/**
 * Trains `cell` on `train` (evaluating `test` each epoch) and returns its measurements; failures are
 * returned, not thrown. The tensor count after the run's model is gone is the leak canary.
 */
export async function runCell(cell: Cell, data: CellData, settings: CellSettings): Promise<RunResult> {
  const result = await trainAndMeasure(cell, data, settings);
  return result.memory ? { ...result, memory: { ...result.memory, endTensors: tf.memory().numTensors } } : result;
}

export interface CellData {
  train: Dataset;
  test: Dataset | null;
}

async function trainAndMeasure(cell: Cell, data: CellData, settings: CellSettings): Promise<RunResult> {
  const base = {
    id: cell.id,
    cell: cellRecord(cell),
    backend: tf.getBackend(),
    threads: activeBackendThreads(),
    pid: process.pid,
  };
  const startTensors = tf.memory().numTensors;
  let model: tf.LayersModel | null = null;
  try {
    const strategy = cell.strategy;
    const updatesPerEpoch = strategy.updatesPerEpoch(data.train.size);
    const batchSize = strategy.batchSize(data.train.size);
    // The noise probe's batch gradients as the updates take them: in exact mode BN sees the whole batch.
    const batching = { batchSize, microBatch: cell.bnAccumulation === 'exact' ? undefined : strategy.microBatch };
    const builder = builderFor(cell, settings);
    const checkpoints: Checkpoint[] = [];
    const warnings: string[] = [];
    let residentBytes = tf.memory().numBytes;
    let updates = 0;
    const trainCheckpoints = settings.checkpoint ? await cellTrainOptions(settings.checkpoint) : {};
    // Probes are saved beside the checkpoints, and only when there are checkpoints.
    const saving = trainCheckpoints.checkpoint || trainCheckpoints.resume ? settings.checkpoint : undefined;
    const measure: Callback = {
      // A resumed run has the probes of its earlier epochs saved beside its checkpoint.
      onTrainBegin: async (info) => {
        if (saving) checkpoints.push(...(await savedProbes(saving, info.completedEpochs.length)));
      },
      onStep: (p) => {
        updates = p.updates;
        residentBytes = Math.max(residentBytes, tf.memory().numBytes);
      },
      onEpochEnd: async (record) => {
        if (settings.checkpointEpochs.includes(record.epoch + 1) && model) {
          checkpoints.push(
            await takeCheckpoint(model, data.train, batching, cell.seed, { epoch: record.epoch + 1, updates }),
          );
          if (saving) await saveProbes(saving, checkpoints);
        }
      },
    };
    model = builder.build({ inputShape: data.train.inputShape, outputs: data.train.numClasses }, cell.seed);
    // The seed builds the same initial weights for every strategy: this checkpoint compares batch sizes.
    checkpoints.push(await takeCheckpoint(model, data.train, batching, cell.seed, { epoch: 0, updates: 0 }));
    const budget = budgetCallback(settings.budget);
    const { history } = await train(model, data.train, {
      ...cellTraining(cell, data, settings),
      warn: (message) => warnings.push(message),
      // The budget last: what the other callbacks do at an epoch's end is not training time.
      callbacks: [measure, ...(settings.callbacks ?? []), ...(budget ? [budget] : [])],
      ...trainCheckpoints,
    });
    const epochs = history.epochs.map(testMetrics);
    const last = epochs[epochs.length - 1];
    const test = last && data.test ? { loss: last.testLoss as number, accuracy: last.testAccuracy } : undefined;
    const timing = timingOf(epochs, updatesPerEpoch);
    const { updates: updateLosses, updateLossEvery, stopReason, trainSize, bnAccumulation } = history;
    const { lrSchedule, clipNorm, clipValue } = history;
    const control = {
      ...(lrSchedule ? { lrSchedule } : {}),
      ...(clipNorm ? { clipNorm } : {}),
      ...(clipValue ? { clipValue } : {}),
    };
    const probe = { builder, data: data.train, strategy, optimizer: cell.optimizer, seed: cell.seed };
    const updatePeak = await updatePeakBytes({
      ...probe,
      learningRate: cell.learningRate,
      bnAccumulation: cell.bnAccumulation,
      clip: { clipNorm: settings.clipNorm, clipValue: settings.clipValue },
    });
    return {
      ...base,
      status: 'ok',
      model: builder.describe(),
      history: { epochs, updates: updateLosses, updateLossEvery, stopReason, trainSize, ...control },
      test,
      timing,
      budget: {
        kind: settings.budget.kind,
        limit: budgetLimit(settings.budget),
        used: budgetUsed(settings.budget, epochs, timing),
      },
      memory: {
        updatePeakBytes: updatePeak,
        residentBytes,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        startTensors,
        endTensors: 0,
      },
      batchSize,
      bnBatch: builder.batchNorm ? bnBatchOf(cell, batchSize) : null,
      ...(bnAccumulation ? { bnAccumulation } : {}),
      warnings,
      target: settings.target === undefined ? undefined : timeToTarget(epochs, settings.target),
      checkpoints,
    };
  } catch (error) {
    return { ...base, status: 'failed', error: error instanceof Error ? error.message : String(error) };
  } finally {
    model?.dispose();
  }
}

/** Samples one BN normalisation sees: the chunk (the batch in exact mode), or a ghost group of it. */
function bnBatchOf(cell: Cell, batchSize: number): number {
  const micro = cell.bnAccumulation === 'exact' ? undefined : cell.strategy.microBatch;
  const chunk = Math.min(micro ?? batchSize, batchSize);
  const ghost = cell.bnVariant ? ghostBatchOfVariant(cell.bnVariant) : null;
  return Math.min(ghost ?? chunk, chunk);
}

/** compare holds out the test set: the trainer's validation metrics are test metrics. */
function testMetrics({ valLoss, valAccuracy, ...rest }: EpochRecord): RunEpoch {
  return { ...rest, testLoss: valLoss, testAccuracy: valAccuracy };
}

function budgetUsed(budget: Budget, epochs: RunEpoch[], timing: RunTiming): number {
  if (budget.kind === 'epochs') return epochs.length;
  if (budget.kind === 'updates') return epochs.reduce((n, e) => n + e.updates, 0);
  return timing.trainingSeconds;
}
