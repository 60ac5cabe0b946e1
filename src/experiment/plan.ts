/**
 * From a validated spec to what the runner needs: the cells (with the spec's micro-batch folded
 * into each strategy), the per-cell settings, and the checkpoint schedule.
 */
import { Strategy, withMicroBatch } from '../batching';
import type { OptimizerName } from '../training';
import { Cell, expandCells } from './cells';
import type { CellSettings } from './run-cell';
import type { ExperimentSpec } from './spec';

export interface Plan {
  cells: Cell[];
  settings: CellSettings;
}

export function planExperiment(spec: ExperimentSpec, trainSize: number): Plan {
  const seeds = typeof spec.seeds === 'number' ? Array.from({ length: spec.seeds }, (_, i) => i) : spec.seeds;
  const bn = spec.batchNorm === 'both' ? [false, true] : [spec.batchNorm === 'on'];
  const strategies = spec.strategies.map((s) => applyMicroBatch(s, spec.microBatch, trainSize));
  const cells = expandCells(
    {
      strategies,
      bn,
      bnVariants: spec.bnVariants,
      bnConventions: spec.bnConventions,
      bnAccumulations: spec.bnAccumulations,
      seeds,
      optimizers: spec.optimizers as OptimizerName[],
      learningRates: spec.learningRates ?? null,
      lrSchedules: spec.lrSchedules ?? null,
      models: spec.models,
      backends: spec.backends ?? null,
    },
    spec.lrRule,
    trainSize,
  );
  const checkpointEpochs =
    spec.budget.kind === 'epochs' ? checkpointSchedule(spec.budget.epochs, spec.checkpoints) : [1];
  return {
    cells,
    settings: {
      budget: spec.budget,
      target: spec.target,
      checkpointEpochs,
      allowBatchNormBatchOfOne: spec.allowBatchNormBatchOfOne,
      allowShortGhostBatch: spec.allowShortGhostBatch,
      batchRenorm: spec.batchRenorm,
      headBatchNorm: spec.headBatchNorm,
      hidden: spec.hidden,
      lrRule: spec.lrRule,
      clipNorm: spec.clipNorm,
      clipValue: spec.clipValue,
    },
  };
}

/**
 * `full` with micro-batch 1000 becomes `full/micro:1000`, so results keep the distinction. The
 * spec's micro-batch is for full and mini-batch strategies (documented so): SGD has one sample per
 * update and keeps it; a strategy with its own `/micro:` suffix keeps that; a micro-batch no smaller
 * than the batch changes nothing and is left out.
 */
function applyMicroBatch(strategy: Strategy, microBatch: number | undefined, trainSize: number): Strategy {
  if (microBatch === undefined || strategy.kind === 'sgd' || strategy.microBatch !== undefined) return strategy;
  const batch = Math.min(strategy.n ?? trainSize, trainSize);
  return microBatch < batch ? withMicroBatch(strategy, microBatch) : strategy;
}

/** `count` epochs spread evenly over 1..epochs, always including the last: 10 epochs, 3 -> [3, 7, 10]. */
export function checkpointSchedule(epochs: number, count: number): number[] {
  const picks = Array.from({ length: Math.min(count, epochs) }, (_, i) =>
    Math.round(((i + 1) * epochs) / Math.min(count, epochs)),
  );
  return [...new Set(picks)];
}
