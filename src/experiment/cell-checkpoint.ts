/**
 * A cell's checkpoints, so that an interrupted experiment re-enters a run where it stopped: the
 * trainer's checkpoints in `<dir>/checkpoints` (src/training/checkpoint.ts), and the probes taken so
 * far in `<dir>/probes.json`, written atomically after each, which the trainer's checkpoint does not
 * hold. A resumed run takes back the probes of the epochs its checkpoint covers and measures the rest
 * itself. Where `dir` lies and when it is removed is compare's.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic-write';
import { checkpointEpochs } from '../io/checkpoint-files';
import type { TrainOptions } from '../training';
import type { Checkpoint } from './probes';

export interface CellCheckpointing {
  /** The cell's own directory. */
  dir: string;
  /** Checkpoint every n epochs; without it, only a run that has a checkpoint goes on writing them. */
  every?: number;
}

/** The trainer's checkpoint options: resume when `dir` holds a checkpoint, write them when asked to. */
export async function cellTrainOptions(cell: CellCheckpointing): Promise<Pick<TrainOptions, 'checkpoint' | 'resume'>> {
  const dir = join(cell.dir, 'checkpoints');
  const resume = (await checkpointEpochs(dir)).length > 0 ? dir : undefined;
  return { checkpoint: cell.every === undefined ? undefined : { dir, every: cell.every }, resume };
}

/** The epochs completed in the cell's latest checkpoint, or null when it has none. */
export async function cellCheckpointEpoch(cell: CellCheckpointing): Promise<number | null> {
  return (await checkpointEpochs(join(cell.dir, 'checkpoints'))).at(-1) ?? null;
}

export async function saveProbes(cell: CellCheckpointing, probes: Checkpoint[]): Promise<void> {
  await writeJsonAtomic(join(cell.dir, 'probes.json'), probes);
}

/** The probes saved for epochs 1..`epochs` (the initial weights' probe is taken afresh). */
export async function savedProbes(cell: CellCheckpointing, epochs: number): Promise<Checkpoint[]> {
  const path = join(cell.dir, 'probes.json');
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '[]';
    throw error;
  });
  const probes = JSON.parse(text) as Checkpoint[];
  return probes.filter((p) => p.epoch > 0 && p.epoch <= epochs);
}
