/**
 * An experiment's cells: the cartesian product of its factors (strategy x BN, its variant,
 * convention and accumulation mode x seed x optimizer x learning rate x schedule x model x
 * backend), each with a stable id that results files and --resume key on. Owns the product and the
 * learning-rate rule across batch sizes (with Goyal et al.'s warm-up); running a cell is
 * run-cell.ts's job.
 */
import type { Strategy } from '../batching';
import type { BackendName } from '../backend';
import { BnAccumulation, DEFAULT_LEARNING_RATES, LrSchedule, OptimizerName, startWarmupAt } from '../training';
import { BnConvention, ModelName, takesBatchNorm } from '../../models';
import { BnVariant, variantIdPart } from './bn-variants';

export type { ModelName };

/** How the learning rate follows the batch size (Goyal et al. 2017's linear scaling rule). */
export type LrRule = { kind: 'fixed' } | { kind: 'linear'; referenceBatch: number };

export interface Factors {
  strategies: Strategy[];
  bn: boolean[];
  /** What the BN cells normalise with. Default: ['plain']. */
  bnVariants?: BnVariant[];
  /** Whose BatchNorm the BN cells follow. Default: ['keras']. */
  bnConventions?: BnConvention[];
  /** How plain BN cells meet micro-batches smaller than the batch (see bnSettings). Default: ['chunk']. */
  bnAccumulations?: BnAccumulation[];
  seeds: number[];
  optimizers: OptimizerName[];
  /** Base learning rates; null for each optimizer's default. */
  learningRates: number[] | null;
  /** Learning-rate schedules; null for none (the rate stays put). */
  lrSchedules?: LrSchedule[] | null;
  models: ModelName[];
  /** Backends each configuration runs on; null or absent for the experiment's one backend. */
  backends?: BackendName[] | null;
}

/** A cell as the runner uses it, with its strategy and schedule parsed. */
export type Cell = CellOf<Strategy, LrSchedule>;
/** A cell as results files hold it: the strategy and schedule by their labels. */
export type CellRecord = CellOf<string, string>;

export interface CellOf<S, L> {
  /** Stable id, e.g. `mlp/mini:32/bn/adam/lr0.001/seed0`. */
  id: string;
  /** The id without the seed: cells that differ only in seed are repeats of one configuration. */
  group: string;
  model: ModelName;
  strategy: S;
  bn: boolean;
  /** A BN cell's variant; absent without BN (and in records written before variants: plain). */
  bnVariant?: BnVariant;
  /** A BN cell's convention; absent without BN (and in records written before: the spec's, keras by default). */
  bnConvention?: BnConvention;
  /** A BN cell's mode under micro-batches smaller than its batch; absent otherwise (and in records written before). */
  bnAccumulation?: BnAccumulation;
  seed: number;
  optimizer: OptimizerName;
  /** The learning rate named in the spec, before the rule. */
  baseLearningRate: number;
  /** The learning rate this cell trains with (a schedule's peak). */
  learningRate: number;
  /** The spec's learning-rate schedule; null or absent (records before schedules) for none. */
  lrSchedule?: L | null;
  /** The backend this cell runs on, when the experiment lists backends; absent otherwise. */
  backend?: BackendName;
}

interface BnSetting {
  bn: boolean;
  bnVariant?: BnVariant;
  bnConvention?: BnConvention;
  bnAccumulation?: BnAccumulation;
  /**
   * The BN part of the cell id: `nobn`, `bn`, `ghost16`, `renorm`, with `-pytorch` when conventions
   * vary and `-chunk` or `-exact` when modes do.
   */
  idPart: string;
}

/**
 * BN off once; BN on once per variant and convention, in the order the spec lists them; under
 * micro-batches smaller than the batch, plain BN once per accumulation mode. Only there do the modes
 * differ: without micro-batches or without BN there is nothing to accumulate, and ghost BN and batch
 * renorm have no exact mode (a ghost group within a chunk is already its own), so they train chunked,
 * as their cells record.
 */
function bnSettings(factors: Factors, chunked: boolean): BnSetting[] {
  const variants = factors.bnVariants ?? ['plain'];
  const conventions = factors.bnConventions ?? ['keras'];
  const modes = factors.bnAccumulations ?? ['chunk'];
  const modesOf = (variant: BnVariant): BnAccumulation[] => (variant === 'plain' ? modes : ['chunk']);
  return factors.bn.flatMap((bn): BnSetting[] =>
    !bn
      ? [{ bn, idPart: 'nobn' }]
      : variants.flatMap((bnVariant) =>
          conventions.flatMap((bnConvention) => {
            const idPart = variantIdPart(bnVariant) + (conventions.length > 1 ? `-${bnConvention}` : '');
            if (!chunked) return [{ bn, bnVariant, bnConvention, idPart }];
            return modesOf(bnVariant).map((bnAccumulation) => ({
              bn,
              bnVariant,
              bnConvention,
              bnAccumulation,
              idPart: idPart + (modes.length > 1 && bnVariant === 'plain' ? `-${bnAccumulation}` : ''),
            }));
          }),
        ),
  );
}

/**
 * Every combination of the factors, in a fixed order (model, strategy, BN, BN variant, BN
 * convention, BN accumulation, optimizer, learning rate, schedule, backend, seed), with learning
 * rates set by `rule` for a training set of `trainSize` samples. The backend is in the id only when
 * more than one is listed, so that the ids of an experiment without the factor stay as they were.
 */
export function expandCells(factors: Factors, rule: LrRule, trainSize: number): Cell[] {
  const cells: Cell[] = [];
  const backends: (BackendName | null)[] = factors.backends ?? [null];
  for (const model of factors.models)
    for (const strategy of factors.strategies)
      // A model without hidden layers (logistic) has no BN cells: they would repeat its BN-off cells.
      for (const { idPart, ...bn } of bnSettings(factors, chunked(strategy, trainSize)).filter(
        (s) => !s.bn || takesBatchNorm(model),
      )) {
        for (const optimizer of factors.optimizers)
          for (const baseLearningRate of factors.learningRates ?? [DEFAULT_LEARNING_RATES[optimizer]])
            for (const lrSchedule of factors.lrSchedules ?? [null]) {
              const learningRate = scaledLearningRate(rule, baseLearningRate, strategy.batchSize(trainSize));
              const scheduled = lrSchedule ? `/${lrSchedule.label}` : '';
              const configuration = `${model}/${strategy.label}/${idPart}/${optimizer}/lr${baseLearningRate}${scheduled}`;
              for (const backend of backends)
                for (const seed of factors.seeds) {
                  const group = backend && backends.length > 1 ? `${configuration}/${backend}` : configuration;
                  cells.push({
                    id: `${group}/seed${seed}`,
                    group,
                    model,
                    strategy,
                    ...bn,
                    seed,
                    optimizer,
                    baseLearningRate,
                    learningRate,
                    lrSchedule,
                    ...(backend ? { backend } : {}),
                  });
                }
            }
      }
  return cells;
}

/** Whether the strategy's updates are accumulated over micro-batches smaller than its batch. */
function chunked(strategy: Strategy, trainSize: number): boolean {
  return strategy.microBatch !== undefined && strategy.microBatch < strategy.batchSize(trainSize);
}

/** The cell as results files hold it. */
export function cellRecord(cell: Cell): CellRecord {
  return { ...cell, strategy: cell.strategy.label, lrSchedule: cell.lrSchedule?.label ?? null };
}

/**
 * The schedule a cell trains with: under the linear rule a warm-up that names no start begins at
 * the unscaled rate (Goyal et al. 2017: from the reference rate up to k times it, the rule's peak).
 */
export function cellSchedule(cell: Cell, rule: LrRule): LrSchedule | undefined {
  if (!cell.lrSchedule) return undefined;
  return rule.kind === 'linear'
    ? startWarmupAt(cell.lrSchedule, cell.baseLearningRate / cell.learningRate)
    : cell.lrSchedule;
}

/** `fixed`: the base rate. `linear`: base * batchSize / referenceBatch. */
export function scaledLearningRate(rule: LrRule, base: number, batchSize: number): number {
  return rule.kind === 'fixed' ? base : (base * batchSize) / rule.referenceBatch;
}
