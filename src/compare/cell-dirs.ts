/**
 * Where compare keeps the checkpoints of runs in progress: outDir/cells/<run>/, one folder per cell,
 * named after its id with `/` and `:` made safe for file names. compare removes a folder once its
 * run is recorded; what a folder holds is src/experiment/cell-checkpoint.ts's.
 */
import { join } from 'node:path';
import type { Cell } from '../experiment/cells';
import { CellCheckpointing, cellCheckpointEpoch } from '../experiment/cell-checkpoint';

export const CELLS_DIR = 'cells';

/** @example cellDirName('mlp/mini:32/bn/adam/lr0.001/seed0') -> 'mlp_mini-32_bn_adam_lr0.001_seed0' */
export function cellDirName(id: string): string {
  return id.replace(/\//g, '_').replace(/:/g, '-');
}

export function cellCheckpointing(outDir: string, cell: Cell | string, every?: number): CellCheckpointing {
  const id = typeof cell === 'string' ? cell : cell.id;
  return { dir: join(outDir, CELLS_DIR, cellDirName(id)), every };
}

/** The epochs each of `cells` has checkpointed, for those that have a checkpoint. */
export async function checkpointsToResume(outDir: string, cells: Cell[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const cell of cells) {
    const epoch = await cellCheckpointEpoch(cellCheckpointing(outDir, cell));
    if (epoch !== null) found.set(cell.id, epoch);
  }
  return found;
}

/** `, resuming after epoch 2 from its checkpoint` for a cell found with one, said once; else ''. */
export function describeResumption(found: Map<string, number>, cell: Cell): string {
  const epoch = found.get(cell.id);
  found.delete(cell.id);
  return epoch === undefined ? '' : `, resuming after epoch ${epoch} from its checkpoint`;
}
