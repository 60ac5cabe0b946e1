/**
 * What makes a checkpoint belong to a run: the model (its description, layer settings and weight
 * shapes), the strategy, the optimizer and its settings, the seed, the data sets (by content), the
 * loss sampling interval, and the learning-rate schedule, clipping and BatchNorm settings
 * (./run-settings). Everything else the rest of a run depends on (each epoch's batch
 * order, dropout masks, which losses are sampled) is a function of these and of the epoch or
 * update, so a checkpoint whose identity equals the run's resumes it exactly. Owns the record and
 * the comparison that names what differs; writing and reading checkpoints is ./checkpoint's.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { datasetFingerprint } from '../data/fingerprint';
import type { Dataset } from '../data/dataset';
import { RunSettings, RunSettingsSource, runSettings } from './run-settings';

export interface RunIdentity extends RunSettings {
  /** The builder's description, or the layers' class names for a model passed in. */
  model: string;
  /** SHA-256 (12 hex digits) of every layer's settings, names left out (they count up per process). */
  layerSettings: string;
  weightShapes: string;
  strategy: string;
  /** Name and settings at the start of training, e.g. `adam (learningRate 0.001, beta1 0.9, ...)`. */
  optimizer: string;
  seed: number;
  data: string;
  validation: string;
  updateLossEvery: number;
}

/** The fields of RunIdentity as messages name them. */
const FIELD_NAMES: Record<keyof RunIdentity, string> = {
  model: 'model',
  layerSettings: 'layer settings',
  weightShapes: 'weight shapes',
  strategy: 'strategy',
  optimizer: 'optimizer',
  seed: 'seed',
  data: 'data set',
  validation: 'validation data',
  updateLossEvery: 'updateLossEvery',
  lrSchedule: 'learning-rate schedule',
  clipping: 'gradient clipping',
  batchNorm: 'BatchNorm',
  bnAccumulation: 'bnAccumulation',
};

export interface IdentitySource extends RunSettingsSource {
  /** The builder's description; null for a model passed in. */
  described: string | null;
  optimizer: tf.Optimizer;
  optimizerName: string;
  seed: number;
  trainData: Dataset;
  validation: Dataset | null;
  updateLossEvery: number;
}

export async function runIdentity(source: IdentitySource): Promise<RunIdentity> {
  const { model, strategy } = source;
  const settings = model.layers.map((layer) => {
    const { name: _name, ...config } = layer.getConfig();
    return { className: layer.getClassName(), config };
  });
  return {
    model: source.described ?? `layers ${model.layers.map((l) => l.getClassName()).join(', ')}`,
    layerSettings: createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 12),
    weightShapes: model.weights.map((w) => `[${w.shape.join(',')}]`).join(' '),
    strategy: `${strategy.label} (${strategy.shuffle ? 'shuffled' : 'in order'}${strategy.dropLast ? ', last batch dropped' : ''})`,
    optimizer: `${source.optimizerName} (${describeConfig(source.optimizer.getConfig())})`,
    seed: source.seed,
    data: await datasetFingerprint(source.trainData),
    validation: source.validation ? await datasetFingerprint(source.validation) : 'none',
    updateLossEvery: source.updateLossEvery,
    ...runSettings(source),
  };
}

function describeConfig(config: tf.serialization.ConfigDict): string {
  return Object.entries(config)
    .map(([key, value]) => `${key} ${JSON.stringify(value)}`)
    .join(', ');
}

/**
 * One line per field that differs, e.g. `strategy: mini:8 (shuffled) in the checkpoint, mini:16
 * (shuffled) here`; [] when the checkpoint belongs to this run.
 */
export function identityDifferences(saved: SavedIdentity, current: RunIdentity): string[] {
  const fields = Object.keys(FIELD_NAMES) as (keyof RunIdentity)[];
  const shown = (value: string | number | undefined) => (value === undefined ? '(not recorded)' : String(value));
  return fields
    .filter((field) => saved[field] !== current[field])
    .map((field) => `${FIELD_NAMES[field]}: ${shown(saved[field])} in the checkpoint, ${shown(current[field])} here`);
}

/**
 * An identity as a checkpoint holds it: one written before the run settings were part of it lacks
 * them, and is refused naming each as not recorded.
 */
export type SavedIdentity = Omit<RunIdentity, keyof RunSettings> & Partial<RunSettings>;

const SETTINGS: readonly string[] = ['lrSchedule', 'clipping', 'batchNorm', 'bnAccumulation'];

/** Whether `value` has every field of a RunIdentity, the run settings perhaps excepted (a checkpoint read from disk). */
export function isSavedIdentity(value: unknown): value is SavedIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  return (Object.keys(FIELD_NAMES) as (keyof RunIdentity)[]).every((field) => {
    const type = field === 'seed' || field === 'updateLossEvery' ? 'number' : 'string';
    return typeof fields[field] === type || (SETTINGS.includes(field) && fields[field] === undefined);
  });
}
