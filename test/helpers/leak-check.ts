import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';

/**
 * Per-test tensor bookkeeping: `track` registers a model, `finish` (the last line of each test)
 * disposes the registered models and asserts the tensor count is back where the test started. A
 * failing test's models are disposed in afterEach, so one failure does not cascade into leak reports.
 */
export function leakCheck(): { track: (model: tf.LayersModel) => tf.LayersModel; finish: () => void } {
  const models: tf.LayersModel[] = [];
  let start = 0;
  beforeEach(() => {
    start = tf.memory().numTensors;
  });
  afterEach(() => {
    models.splice(0).forEach((model) => model.dispose());
  });
  return {
    track: (model) => {
      models.push(model);
      return model;
    },
    finish: () => {
      models.splice(0).forEach((model) => model.dispose());
      expect(tf.memory().numTensors, 'tensors left after disposing the models').to.equal(start);
    },
  };
}
