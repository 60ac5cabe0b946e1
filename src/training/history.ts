/** The record of one training run, as `train` returns it and the CLI writes it. */
import type { BnAccumulation } from './bn-accumulation';

export interface EpochRecord {
  /** 0-based epoch index. */
  epoch: number;
  /** Mean training loss over the epoch's samples (with the weights as they were at each step). */
  loss: number;
  /** Training accuracy over the epoch's samples; null for regression. */
  accuracy: number | null;
  valLoss: number | null;
  valAccuracy: number | null;
  /** Wall-clock seconds of the epoch's training steps (validation excluded). */
  seconds: number;
  /** Weight updates made in this epoch. */
  updates: number;
  /** Samples seen in this epoch. */
  samples: number;
}

export interface UpdateRecord {
  epoch: number;
  /** Step within the epoch, 0-based. */
  step: number;
  /** Global update count, 0-based. */
  update: number;
  loss: number;
}

/**
 * What ended a run before its last epoch: a NaN or infinite loss, early stopping, a target reached,
 * a training budget spent, an abort signal (Ctrl-C), or any other callback.
 */
export type StopKind = 'non-finite-loss' | 'early-stopping' | 'target-reached' | 'budget' | 'interrupted' | 'callback';

export interface StopReason {
  kind: StopKind;
  /** For people, e.g. `loss became NaN at epoch 1, step 6 (update 6)`. */
  message: string;
}

export interface History {
  model: string;
  strategy: string;
  /** How BatchNorm met the strategy's micro-batches; present only for a BN model trained in micro-batches. */
  bnAccumulation?: BnAccumulation;
  optimizer: string;
  learningRate: number;
  seed: number;
  backend: string;
  trainSize: number;
  epochs: EpochRecord[];
  /** Per-update training losses, every `updateLossEvery`-th update. */
  updates: UpdateRecord[];
  updateLossEvery: number;
  /** Why training ended before the last epoch, or null. */
  stopReason: StopReason | null;
}
