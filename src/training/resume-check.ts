/**
 * Whether a run may resume from a checkpoint directory, checked without training: its options are
 * resolved and its model built as train() does, and the latest checkpoint's identity compared with
 * the run's (./checkpoint). compare checks every interrupted run so before it trains any, so that a
 * checkpoint of another configuration is refused, kept, and never recorded as a failed run.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
import type { ModelBuilder } from '../../models/builder';
import { checkCheckpointOfRun } from './checkpoint';
import { TrainOptions, releaseTrainOptions, resolveTrainOptions } from './options';

/** Throws what train() would throw on resuming from `options.resume`, naming what differs; else nothing. */
export async function checkResume(
  modelOrBuilder: tf.LayersModel | ModelBuilder,
  data: Dataset,
  options: TrainOptions & { resume: string },
): Promise<void> {
  const opts = resolveTrainOptions(options, data);
  try {
    const built = !(modelOrBuilder instanceof tf.LayersModel);
    const shape = { inputShape: opts.trainData.inputShape, outputs: opts.trainData.numClasses };
    const model = built ? modelOrBuilder.build(shape, opts.seed) : modelOrBuilder;
    try {
      const described = built ? modelOrBuilder.describe() : null;
      await checkCheckpointOfRun({ ...opts, model, described }, options.resume);
    } finally {
      if (built) model.dispose();
    }
  } finally {
    releaseTrainOptions(opts);
  }
}
