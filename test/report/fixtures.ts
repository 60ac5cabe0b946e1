/**
 * Hand-made run results for the summary and report tests: a cell's factors, per-epoch losses and
 * test accuracies, and how the run ended, without training anything.
 */
import type { CellRecord } from '../../src/experiment/cells';
import type { RunResult } from '../../src/experiment/result';
import type { StopReason } from '../../src/training';

export interface RunSketch {
  strategy?: string;
  bn?: boolean;
  /** A BN cell's variant and convention (absent: as records written before they were factors). */
  bnVariant?: CellRecord['bnVariant'];
  bnConvention?: CellRecord['bnConvention'];
  optimizer?: 'adam' | 'sgd';
  baseLearningRate?: number;
  /** Default: baseLearningRate. */
  learningRate?: number;
  seed?: number;
  /** A schedule's label: each sampled update's rate is then learningRate / (epoch + 1), its gradient norm 2. */
  lrSchedule?: string;
  /** Training loss per epoch (NaN for a run whose loss stopped being finite); default [1, 0.5]. */
  losses?: number[];
  /** Test accuracy per epoch; default 0.5, 0.8, ...; null for regression. */
  accuracies?: (number | null)[];
  /** A failed run: no history, this error. */
  error?: string;
  stopReason?: string | { kind: string; message: string } | null;
  target?: RunResult['target'];
}

export function run(sketch: RunSketch = {}): RunResult {
  const { strategy = 'mini:32', bn = false, optimizer = 'adam', baseLearningRate = 0.001, seed = 0 } = sketch;
  const convention = sketch.bnConvention ? `-${sketch.bnConvention}` : '';
  const bnPart = !bn ? 'nobn' : `${(sketch.bnVariant ?? 'bn').replace(':', '')}${convention}`;
  const scheduled = sketch.lrSchedule ? `/${sketch.lrSchedule}` : '';
  const group = `mlp/${strategy}/${bnPart}/${optimizer}/lr${baseLearningRate}${scheduled}`;
  const cell = {
    id: `${group}/seed${seed}`,
    group,
    model: 'mlp' as const,
    strategy,
    bn,
    ...(sketch.bnVariant ? { bnVariant: sketch.bnVariant } : {}),
    ...(sketch.bnConvention ? { bnConvention: sketch.bnConvention } : {}),
    seed,
    optimizer,
    baseLearningRate,
    learningRate: sketch.learningRate ?? baseLearningRate,
    lrSchedule: sketch.lrSchedule ?? null,
  };
  if (sketch.error !== undefined) return { id: cell.id, cell, status: 'failed', error: sketch.error, backend: 'cpu' };
  const losses = sketch.losses ?? [1, 0.5];
  const accuracies = sketch.accuracies ?? losses.map((_, i) => 0.5 + 0.3 * i);
  const epochs = losses.map((loss, epoch) => ({
    epoch,
    loss,
    accuracy: accuracies[epoch],
    testLoss: Number.isFinite(loss) ? loss * 1.1 : null,
    testAccuracy: accuracies[epoch],
    seconds: 0.5,
    updates: 10,
    samples: 320,
  }));
  const last = epochs[epochs.length - 1];
  return {
    id: cell.id,
    cell,
    status: 'ok',
    backend: 'cpu',
    history: {
      epochs,
      updates: losses.map((loss, i) => ({
        epoch: i,
        step: 0,
        update: i * 10,
        loss,
        ...(sketch.lrSchedule ? { learningRate: cell.learningRate / (i + 1), gradNorm: 2 } : {}),
      })),
      updateLossEvery: 1,
      // A test's stopReason may be either form the report reads.
      stopReason: (sketch.stopReason ?? null) as unknown as StopReason | null,
      trainSize: 320,
    },
    test: { loss: last.testLoss ?? Number.NaN, accuracy: last.testAccuracy },
    timing: {
      basis: losses.length > 1 ? 'after the first epoch' : 'first epoch only',
      firstEpochSeconds: 0.5,
      epochSeconds: losses.length > 1 ? 0.5 : null,
      updateSeconds: 0.05,
      trainingSeconds: 0.5 * losses.length,
      samplesPerSecond: 640,
      updatesPerEpoch: 10,
    },
    ...(sketch.target ? { target: sketch.target } : {}),
  };
}
