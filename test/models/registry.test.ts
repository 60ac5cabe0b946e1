/**
 * The model registry (one list of names, each with a description and a builder taking the common
 * options) and the cnn's dense-head options: dropout, and a head without BatchNorm.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { sgd } from '../../src/batching';
import { disposeDataset } from '../../src/data/dataset';
import { MODELS, MODEL_NAMES, cnn, modelBuilder } from '../../models';
import { train } from '../../src/training';
import { denseBatchNormLayers, hasBatchNorm } from '../../src/training/batchnorm-guard';
import { leakCheck } from '../helpers/leak-check';
import { tinyImages } from '../training/helpers';

const IMAGE = { inputShape: [8, 8, 1], outputs: 2 };

/** Layer class names in model order, without the input layer. */
function classes(model: tf.LayersModel): string[] {
  return model.layers.map((l) => l.getClassName()).filter((c) => c !== 'InputLayer');
}

describe('model registry', () => {
  it('lists mlp, cnn and logistic, each with a description and a builder of that name', () => {
    expect(MODEL_NAMES).to.deep.equal(['mlp', 'cnn', 'logistic']);
    for (const name of MODEL_NAMES) {
      expect(MODELS[name].description, name).to.be.a('string').and.not.equal('');
      expect(modelBuilder(name).name).to.equal(name);
    }
  });

  it('passes the common options to the builder that takes them', () => {
    const builder = modelBuilder('mlp', { hidden: [5, 3], batchNorm: true, dropout: 0.25 });
    expect(builder.describe()).to.match(/^mlp \[5,3\] relu, BN before activation .*, dropout 0\.25$/);
    expect(modelBuilder('cnn', { filters: [4], batchNorm: true }).describe()).to.match(/^cnn conv3x3 \[4\].*BN before/);
  });

  it('refuses an option the model does not take, naming the option and the models that take it', () => {
    expect(() => modelBuilder('logistic', { dropout: 0.5 })).to.throw(
      /^logistic takes no dropout option \(dropout applies to mlp, cnn\)$/,
    );
    expect(() => modelBuilder('cnn', { hidden: [8] })).to.throw(
      /^cnn takes no hidden option \(hidden applies to mlp\)$/,
    );
    expect(() => modelBuilder('mlp', { filters: [8] })).to.throw(
      /^mlp takes no filters option \(filters applies to cnn\)$/,
    );
    expect(() => modelBuilder('rnn' as 'mlp')).to.throw(/model must be one of mlp, cnn, logistic, got rnn/);
    expect(() => modelBuilder('logistic', { batchNorm: true })).to.throw(
      /^logistic has no hidden layers, so no BatchNorm \(batchNorm applies to mlp, cnn\)$/,
    );
    expect(modelBuilder('logistic', { batchNorm: false }).describe()).to.match(/no BN$/);
  });
});

describe('cnn dense head', () => {
  const { track, finish } = leakCheck();

  it('applies dropout before the output layer and says so', () => {
    const builder = cnn({ filters: [2], dense: 4, dropout: 0.3 });
    expect(builder.describe()).to.match(/, dropout 0\.3$/);
    const model = track(builder.build(IMAGE, 1));
    const layers = classes(model);
    expect(layers.slice(-2)).to.deep.equal(['Dropout', 'Dense']);
    expect(() => cnn({ dropout: 1 })).to.throw(/cnn: dropout must be in \[0, 1\), got 1/);
    finish();
  });

  it('headBatchNorm: false keeps BatchNorm in the convolutions only', () => {
    const withHead = track(cnn({ filters: [2, 2], dense: 4, batchNorm: true }).build(IMAGE, 1));
    const convOnly = track(cnn({ filters: [2, 2], dense: 4, batchNorm: true, headBatchNorm: false }).build(IMAGE, 1));
    expect(denseBatchNormLayers(withHead)).to.have.length(1);
    expect(denseBatchNormLayers(convOnly)).to.deep.equal([]);
    expect(classes(convOnly).filter((c) => c === 'BatchNormalization')).to.have.length(2);
    expect(hasBatchNorm(convOnly)).to.equal(true);
    expect(cnn({ batchNorm: true, headBatchNorm: false }).describe()).to.match(/dense 64 without BN/);
    finish();
  });

  it('a CNN with convolutional BN only trains with SGD (batch size 1); with a BN head it is refused', async () => {
    const data = tinyImages(8);
    const options = { filters: [2], dense: 4, batchNorm: true };
    let error: Error | null = null;
    try {
      await train(cnn(options), data, { strategy: sgd(), epochs: 1 });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/sgd on 8 samples trains the dense head's BatchNorm on a batch of 1 sample/);
    const { model, history } = await train(cnn({ ...options, headBatchNorm: false }), data, {
      strategy: sgd(),
      epochs: 1,
      optimizer: 'sgd',
    });
    expect(history.epochs[0].updates).to.equal(8);
    expect(Number.isFinite(history.epochs[0].loss)).to.equal(true);
    model.dispose();
    disposeDataset(data);
  });
});
