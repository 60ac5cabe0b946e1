/**
 * Before compare --resume trains anything, each interrupted run's checkpoint must be of that run: a
 * checkpoint from another configuration in a run's folder (copied from elsewhere, or left by the
 * same spec on data whose content has since changed) refuses the experiment, naming the run and
 * what differs, and stays where it is. Where the folders lie is ./cell-dirs'; the comparison is the
 * trainer's (src/training/resume-check.ts), on the model each run builds.
 */
import { join } from 'node:path';
import { InputError } from '../data/input-error';
import type { Cell } from '../experiment/cells';
import { CellData, CellSettings, builderFor, cellTraining } from '../experiment/run-cell';
import { checkResume } from '../training';
import { cellCheckpointing } from './cell-dirs';

export async function checkCellCheckpoints(
  outDir: string,
  cells: Cell[],
  data: CellData,
  settings: CellSettings,
): Promise<void> {
  for (const cell of cells) {
    const dir = join(cellCheckpointing(outDir, cell).dir, 'checkpoints');
    const shape = { inputShape: data.train.inputShape, outputs: data.train.numClasses };
    // runCell trains a model it built (not the builder): its identity names the layers.
    const model = builderFor(cell, settings).build(shape, cell.seed);
    try {
      await checkResume(model, data.train, { ...cellTraining(cell, data, settings), resume: dir });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      throw new InputError(`resume: run ${cell.id}: ${error.message.replace(/^resume: /, '')}`);
    } finally {
      model.dispose();
    }
  }
}
