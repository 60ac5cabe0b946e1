/**
 * Runs one cell of an experiment and measures it: the trainer's history (test metrics per epoch as
 * its validation), warm-up and steady epoch times, throughput, peak tensor memory, the tensor count
 * at the end (a leak canary), time to a target accuracy, and checkpoint probes.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
import { BnConvention, cnn, logistic, mlp, ModelBuilder } from '../../models';
import { Callback, EpochRecord, train } from '../training';
import { Budget, budgetCallback, epochsFor } from './budget';
import { Cell, ModelName, cellRecord } from './cells';
import { Checkpoint, takeCheckpoint } from './probes';
import type { RunResult, RunTiming } from './result';

export interface CellSettings {
  budget: Budget;
  /** Accuracy to reach, on the test set (else the training set). */
  target?: number;
  /** Epochs (after the first) at whose end a checkpoint is taken, besides the initial weights. */
  checkpointEpochs: number[];
  allowBatchNormBatchOfOne: boolean;
  /** The BN layers' convention. Default: 'keras'. */
  bnConvention?: BnConvention;
  /** Extra callbacks, e.g. a progress display. */
  callbacks?: Callback[];
}

export function builderFor(cell: Pick<Cell, 'model' | 'bn'>, bnConvention?: BnConvention): ModelBuilder {
  const builders: Record<ModelName, () => ModelBuilder> = {
    mlp: () => mlp({ batchNorm: cell.bn, bnConvention }),
    cnn: () => cnn({ batchNorm: cell.bn, bnConvention }),
    logistic: () => logistic(),
  };
  return builders[cell.model]();
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
  const base = { id: cell.id, cell: cellRecord(cell), backend: tf.getBackend() };
  const startTensors = tf.memory().numTensors;
  let model: tf.LayersModel | null = null;
  try {
    const strategy = cell.strategy;
    const updatesPerEpoch = strategy.updatesPerEpoch(data.train.size);
    const batchSize = strategy.batchSize(data.train.size);
    const builder = builderFor(cell, settings.bnConvention);
    const checkpoints: Checkpoint[] = [];
    let peakBytes = tf.memory().numBytes;
    let updates = 0;
    const measure: Callback = {
      onStep: (p) => {
        updates = p.updates;
        peakBytes = Math.max(peakBytes, tf.memory().numBytes);
      },
      onEpochEnd: async (record) => {
        if (settings.checkpointEpochs.includes(record.epoch + 1) && model) {
          checkpoints.push(
            await takeCheckpoint(model, data.train, batchSize, cell.seed, { epoch: record.epoch + 1, updates }),
          );
        }
      },
    };
    model = builder.build({ inputShape: data.train.inputShape, outputs: data.train.numClasses }, cell.seed);
    checkpoints.push(await takeCheckpoint(model, data.train, batchSize, cell.seed, { epoch: 0, updates: 0 }));
    const budget = budgetCallback(settings.budget);
    const { history } = await train(model, data.train, {
      strategy,
      optimizer: cell.optimizer,
      learningRate: cell.learningRate,
      seed: cell.seed,
      epochs: epochsFor(settings.budget, updatesPerEpoch),
      validation: data.test ?? undefined,
      allowBatchNormBatchOfOne: settings.allowBatchNormBatchOfOne,
      warn: () => undefined,
      callbacks: [measure, ...(budget ? [budget] : []), ...(settings.callbacks ?? [])],
    });
    const test =
      history.epochs.length > 0 && data.test
        ? {
            loss: history.epochs[history.epochs.length - 1].valLoss as number,
            accuracy: history.epochs[history.epochs.length - 1].valAccuracy,
          }
        : undefined;
    const { epochs, updates: updateLosses, updateLossEvery, stopReason, trainSize } = history;
    return {
      ...base,
      status: 'ok',
      model: builder.describe(),
      history: { epochs, updates: updateLosses, updateLossEvery, stopReason, trainSize },
      test,
      timing: timingOf(epochs, updatesPerEpoch),
      memory: { peakBytes, startTensors, endTensors: 0 },
      target: settings.target === undefined ? undefined : timeToTarget(epochs, settings.target),
      checkpoints,
    };
  } catch (error) {
    return { ...base, status: 'failed', error: error instanceof Error ? error.message : String(error) };
  } finally {
    model?.dispose();
  }
}

function timingOf(epochs: EpochRecord[], updatesPerEpoch: number): RunTiming {
  const totalSeconds = epochs.reduce((s, e) => s + e.seconds, 0);
  const steady = epochs.slice(1);
  const samples = epochs.reduce((s, e) => s + e.samples, 0);
  return {
    firstEpochSeconds: epochs[0]?.seconds ?? 0,
    steadyEpochSeconds: steady.length > 0 ? steady.reduce((s, e) => s + e.seconds, 0) / steady.length : null,
    totalSeconds,
    samplesPerSecond: totalSeconds > 0 ? samples / totalSeconds : 0,
    updatesPerEpoch,
  };
}

/** First epoch whose test (else training) accuracy reaches `target`, with cumulative seconds and updates. */
export function timeToTarget(epochs: EpochRecord[], target: number): NonNullable<RunResult['target']> {
  let seconds = 0;
  let updates = 0;
  for (const e of epochs) {
    seconds += e.seconds;
    updates += e.updates;
    const accuracy = e.valAccuracy ?? e.accuracy;
    if (accuracy !== null && accuracy >= target)
      return { accuracy: target, reached: true, epoch: e.epoch + 1, seconds, updates };
  }
  return { accuracy: target, reached: false, epoch: null, seconds: null, updates: null };
}
