/**
 * Checkpoints that resume exactly. Every `every` epochs, and after the last one, the trainer writes
 * into the checkpoint directory (atomically, src/io/checkpoint-files): every weight of the model
 * (BatchNorm moving statistics included), the optimizer's state (./optimizer-state), the history so
 * far and the run's identity (./run-identity). Resuming puts them back into the freshly built model
 * and optimizer and goes on with the next epoch. Batch order and dropout masks follow from (seed,
 * epoch, update), loss sampling and subnormal flushing from the update count, so the resumed run
 * repeats the uninterrupted one bit for bit on the same backend. A checkpoint written only between
 * epochs, and only while no callback has stopped the run, never holds half an epoch.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../data/input-error';
import {
  CheckpointFiles,
  StoredTensor,
  checkpointEpochs,
  readLatestCheckpoint,
  writeCheckpointFiles,
} from '../io/checkpoint-files';
import type { History } from './history';
import { checkOptimizerStateReadable, readOptimizerState, restoreOptimizerState } from './optimizer-state';
import {
  IdentitySource,
  RunIdentity,
  SavedIdentity,
  identityDifferences,
  isSavedIdentity,
  runIdentity,
} from './run-identity';

/** The run so far, as a checkpoint keeps it. */
export type RunSoFar = Pick<History, 'epochs' | 'updates'>;

/** What state.json holds besides the tensors' list. */
interface CheckpointState {
  identity: SavedIdentity;
  backend: string;
  every: number;
  history: RunSoFar;
}

export interface CheckpointRun extends IdentitySource {
  /** Where to write checkpoints and how often (epochs); null for none unless resuming. */
  checkpoint: { dir: string; every: number } | null;
  /** The directory to resume from; null to start afresh. */
  resume: string | null;
  epochs: number;
  warn: (message: string) => void;
}

export interface Checkpoints {
  /** The epochs and sampled losses restored from the checkpoint; null when the run starts afresh. */
  restored: RunSoFar | null;
  /** Writes a checkpoint once `history.epochs.length` epochs are done, when one is due then. */
  afterEpoch(history: History): Promise<void>;
}

const MODEL = 'model/';

/**
 * Restores the latest checkpoint in `run.resume` into `run.model` and `run.optimizer` (refusing one
 * of another run, naming what differs), and returns what writes the next ones; null when the run
 * neither resumes nor checkpoints.
 */
export async function openCheckpoints(run: CheckpointRun): Promise<Checkpoints | null> {
  const { checkpoint, resume } = run;
  const dir = checkpoint?.dir ?? resume;
  if (dir === null) return null;
  await checkOptimizerStateReadable(run.optimizer);
  if (dir !== resume && (await checkpointEpochs(dir)).length > 0) {
    throw new InputError(
      `checkpoint.dir ${dir} already holds checkpoints of a run; resume from it, or name an empty directory`,
    );
  }
  const identity = await runIdentity(run);
  const files = resume === null ? null : await readLatestCheckpoint(resume);
  const saved = files && checkpointState(files);
  if (files && saved) await restore(run, identity, files, saved);
  const every = checkpoint?.every ?? saved?.every ?? 1;
  return {
    restored: saved?.history ?? null,
    afterEpoch: async (history) => {
      const done = history.epochs.length;
      if (done % every !== 0 && done !== run.epochs) return;
      const tensors = [...(await readModelWeights(run.model)), ...(await readOptimizerState(run.optimizer))];
      const state: CheckpointState = {
        identity,
        backend: tf.getBackend(),
        every,
        history: { epochs: history.epochs, updates: history.updates },
      };
      await writeCheckpointFiles(dir, done, state, tensors);
    },
  };
}

async function restore(
  run: CheckpointRun,
  identity: RunIdentity,
  files: CheckpointFiles,
  saved: CheckpointState,
): Promise<void> {
  refuseAnotherRun(files, saved, identity);
  if (files.epoch > run.epochs) {
    throw new InputError(
      `resume: the checkpoint in ${files.path} has trained ${files.epoch} epochs, more than epochs ${run.epochs}`,
    );
  }
  if (saved.backend !== tf.getBackend()) {
    run.warn(
      `resuming on ${tf.getBackend()} a run checkpointed on ${saved.backend}: its losses will not repeat the uninterrupted run's bit for bit`,
    );
  }
  restoreModelWeights(
    run.model,
    files.tensors.filter((t) => t.name.startsWith(MODEL)),
  );
  await restoreOptimizerState(run.optimizer, files.tensors);
}

/**
 * Throws when the latest checkpoint in `dir` is of another run than `run`, naming what differs, as
 * resuming from it would: a check that restores nothing (compare makes it before training).
 */
export async function checkCheckpointOfRun(run: IdentitySource, dir: string): Promise<void> {
  const files = await readLatestCheckpoint(dir);
  refuseAnotherRun(files, checkpointState(files), await runIdentity(run));
}

function refuseAnotherRun(files: CheckpointFiles, saved: CheckpointState, identity: RunIdentity): void {
  const differences = identityDifferences(saved.identity, identity);
  if (differences.length > 0) {
    throw new InputError(
      `resume: the checkpoint in ${files.path} is of a different run:\n  ${differences.join('\n  ')}`,
    );
  }
}

function checkpointState(files: CheckpointFiles): CheckpointState {
  const state = (typeof files.state === 'object' && files.state !== null ? files.state : {}) as Record<string, unknown>;
  const history = state.history as RunSoFar | undefined;
  const valid =
    isSavedIdentity(state.identity) &&
    typeof state.backend === 'string' &&
    Number.isInteger(state.every) &&
    Array.isArray(history?.epochs) &&
    Array.isArray(history?.updates) &&
    history.epochs.length === files.epoch;
  if (!valid) throw new InputError(`${files.path}/state.json: identity, backend, every or history is missing`);
  return state as unknown as CheckpointState;
}

/** Every weight, trainable or not, in the model's order. */
async function readModelWeights(model: tf.LayersModel): Promise<StoredTensor[]> {
  return Promise.all(
    model.weights.map(async (weight, i) => {
      const value = weight.read();
      return { name: `${MODEL}${i}`, shape: value.shape, values: Float32Array.from(await value.data<'float32'>()) };
    }),
  );
}

/** Assigns the variables directly: LayerVariable.write would apply a weight constraint once more. */
function restoreModelWeights(model: tf.LayersModel, stored: StoredTensor[]): void {
  tf.tidy(() => {
    model.weights.forEach((weight, i) => {
      (weight.read() as tf.Variable).assign(tf.tensor(stored[i].values, stored[i].shape));
    });
  });
}
