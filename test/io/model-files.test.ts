// Model files and atomic writes: a saved model (BatchNorm moving statistics included) loads back
// with identical weights and identical predictions, broken files are named in the errors, and an
// atomic write never leaves a temp file or a half-replaced target behind.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../src/io/atomic-write';
import { expectedBytes, fileIOHandler, loadModel, saveModel } from '../../src/io/model-files';
import { createRng } from '../../src/util/random';

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

/** Dense -> BatchNorm -> Dense, every weight set to a seeded value in [0.5, 1.5) (none default). */
function buildModel(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units: 4 }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const rng = createRng(42);
  const values = model.getWeights().map((w) =>
    tf.tensor(
      Array.from({ length: w.size }, () => rng() + 0.5),
      w.shape,
    ),
  );
  model.setWeights(values);
  tf.dispose(values);
  return model;
}

function fixedInput(): tf.Tensor2D {
  return tf.tensor2d([
    [0.1, -0.2, 0.3],
    [1, 2, 3],
    [-1.5, 0, 0.25],
    [0, 0, 0],
  ]);
}

function predictValues(model: tf.LayersModel): Float32Array {
  return tf.tidy(() => (model.predict(fixedInput()) as tf.Tensor).dataSync() as Float32Array);
}

function weightValues(weights: tf.Tensor[]): { shape: number[]; values: number[] }[] {
  return weights.map((w) => ({ shape: w.shape, values: Array.from(w.dataSync()) }));
}

function expectSameModel(actual: tf.LayersModel, expected: tf.LayersModel): void {
  expect(weightValues(actual.getWeights())).to.deep.equal(weightValues(expected.getWeights()));
  expect(Array.from(predictValues(actual))).to.deep.equal(Array.from(predictValues(expected)));
}

describe('model files', () => {
  let root: string;
  let model: tf.Sequential;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'batchlab-model-'));
    model = buildModel();
  });

  afterEach(async () => {
    model.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips weights, BatchNorm moving statistics and predictions exactly', async () => {
    const dir = join(root, 'a', 'model');
    const saved = await saveModel(model, dir);
    expect(saved.modelJson).to.equal(join(dir, 'model.json'));
    expect(saved.weightsBin).to.equal(join(dir, 'weights.bin'));
    expect(saved.bytes).to.equal((12 + 4 + 4 * 4 + 8 + 2) * 4);
    expect((await readFile(saved.weightsBin)).byteLength).to.equal(saved.bytes);

    const { model: loaded } = await loadModel(dir);
    const bn = (m: tf.LayersModel): tf.layers.Layer => m.layers[1];
    expect(bn(loaded).nonTrainableWeights).to.have.lengthOf(2);
    expect(weightValues(bn(loaded).getWeights(false))).to.deep.equal(weightValues(bn(model).getWeights(false)));
    expectSameModel(loaded, model);
    loaded.dispose();
  });

  it('writes the standard tfjs layers model.json', async () => {
    const dir = join(root, 'model');
    await saveModel(model, dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json).to.include.keys('modelTopology', 'format', 'generatedBy', 'convertedBy', 'weightsManifest');
    expect(json.format).to.equal('layers-model');
    expect(json.weightsManifest).to.have.lengthOf(1);
    expect(json.weightsManifest[0].paths).to.deep.equal(['weights.bin']);
    expect(json.weightsManifest[0].weights).to.have.lengthOf(8);
    expect(await readdir(dir)).to.have.members(['model.json', 'weights.bin']);
  });

  it('works as a handler for model.save and tf.loadLayersModel', async () => {
    const dir = join(root, 'handler');
    await model.save(fileIOHandler(dir));
    const loaded = await tf.loadLayersModel(fileIOHandler(dir));
    expectSameModel(loaded, model);
    loaded.dispose();
  });

  it('saves weight data given as an array of buffers', async () => {
    let artifacts: tf.io.ModelArtifacts = {};
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
      }),
    );
    const whole = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
    const dir = join(root, 'shards');
    await fileIOHandler(dir).save?.({ ...artifacts, weightData: [whole.slice(0, 20), whole.slice(20)] });
    expect(new Uint8Array(await readFile(join(dir, 'weights.bin')))).to.deep.equal(new Uint8Array(whole));
    const { model: loaded } = await loadModel(dir);
    expectSameModel(loaded, model);
    loaded.dispose();
  });

  it('loads weights split over several paths, concatenated in order', async () => {
    const dir = join(root, 'split');
    await saveModel(model, dir);
    const bytes = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'part-1.bin'), bytes.subarray(0, 10));
    await writeFile(join(dir, 'part-2.bin'), bytes.subarray(10));
    await unlink(join(dir, 'weights.bin'));
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['part-1.bin', 'part-2.bin'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    const { model: loaded } = await loadModel(dir);
    expectSameModel(loaded, model);
    loaded.dispose();
  });

  it('releases every tensor it creates on save and load', async () => {
    const dir = join(root, 'leak');
    const before = tf.memory().numTensors;
    await saveModel(model, dir);
    (await loadModel(dir)).model.dispose();
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('names model.json when the directory holds no model', async () => {
    const err = await rejection(loadModel(join(root, 'nowhere')));
    expect(err.message).to.match(/nowhere[\\/]model\.json not found/);
  });

  it('names model.json when it is not valid JSON', async () => {
    const dir = join(root, 'corrupt');
    await saveModel(model, dir);
    await writeFile(join(dir, 'model.json'), '{"modelTopology": {');
    expect((await rejection(loadModel(dir))).message).to.match(/model\.json is not valid JSON/);
  });

  it('names model.json when it is JSON but not a layers model', async () => {
    const dir = join(root, 'not-a-model');
    await writeJsonAtomic(join(dir, 'model.json'), { weightsManifest: [] });
    expect((await rejection(loadModel(dir))).message).to.match(/model\.json is not a tfjs layers model/);
  });

  it('names weights.bin when it is truncated, with both byte counts', async () => {
    const dir = join(root, 'truncated');
    const { weightsBin, bytes } = await saveModel(model, dir);
    await truncate(weightsBin, bytes - 4);
    const err = await rejection(loadModel(dir));
    expect(err.message).to.match(new RegExp(`weights\\.bin hold ${bytes - 4} bytes .* need ${bytes}`));
  });

  it('names weights.bin when it is missing', async () => {
    const dir = join(root, 'no-weights');
    const { weightsBin } = await saveModel(model, dir);
    await unlink(weightsBin);
    expect((await rejection(loadModel(dir))).message).to.match(/weights file .*weights\.bin .* is missing/);
  });

  it('saves class names and standardisation statistics beside the model and returns them on load', async () => {
    const dir = join(root, 'encoded');
    const encoding = { classNames: ['cat', 'dog'], standardizer: { mean: [0.5, -1, 2], std: [1, 0.25, 3] } };
    await saveModel(model, dir, encoding);
    expect(await readdir(dir)).to.have.members(['model.json', 'weights.bin', 'data.json']);
    const loaded = await loadModel(dir);
    expect({ classNames: loaded.classNames, standardizer: loaded.standardizer }).to.deep.equal(encoding);
    loaded.model.dispose();
  });

  it('returns null class names and statistics for a model saved without them', async () => {
    const dir = join(root, 'plain');
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    expect([loaded.classNames, loaded.standardizer]).to.deep.equal([null, null]);
    loaded.model.dispose();
  });

  it('names data.json when it is broken', async () => {
    const dir = join(root, 'bad-encoding');
    await saveModel(model, dir, { classNames: null, standardizer: null });
    await writeFile(join(dir, 'data.json'), '{"classNames": [1, 2], "standardizer": null}');
    expect((await rejection(loadModel(dir))).message).to.match(/data\.json: expected \{ classNames: string\[\]/);
    await writeFile(join(dir, 'data.json'), '{"classNames"');
    expect((await rejection(loadModel(dir))).message).to.match(/data\.json is not valid JSON/);
  });

  it('computes expected bytes from shapes and dtypes, quantised or not', () => {
    expect(expectedBytes([])).to.equal(0);
    expect(
      expectedBytes([
        { name: 'k', shape: [3, 4], dtype: 'float32' },
        { name: 'i', shape: [5], dtype: 'int32' },
        { name: 'b', shape: [], dtype: 'bool' },
        { name: 'q', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } },
      ]),
    ).to.equal(48 + 20 + 1 + 4);
    expect(() => expectedBytes([{ name: 's', shape: [1], dtype: 'string' }])).to.throw(/weight s: dtype string/);
  });
});

describe('writeFileAtomic', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'batchlab-atomic-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the content, creating parent directories, and leaves no temp file', async () => {
    const path = join(root, 'a', 'b', 'out.txt');
    await writeFileAtomic(path, 'hello\n');
    expect(await readFile(path, 'utf8')).to.equal('hello\n');
    expect(await readdir(join(root, 'a', 'b'))).to.deep.equal(['out.txt']);
  });

  it('writes bytes unchanged', async () => {
    const path = join(root, 'bytes.bin');
    const data = new Uint8Array([0, 255, 1, 128, 7]);
    await writeFileAtomic(path, data);
    expect(new Uint8Array(await readFile(path))).to.deep.equal(data);
  });

  it('replaces an existing file wholesale', async () => {
    const path = join(root, 'out.txt');
    await writeFileAtomic(path, 'a much longer first version\n');
    await writeFileAtomic(path, 'short\n');
    expect(await readFile(path, 'utf8')).to.equal('short\n');
  });

  it('leaves one complete version when writes race', async () => {
    const path = join(root, 'race.txt');
    const versions = Array.from({ length: 8 }, (_, i) => `${i}`.repeat(10000));
    await Promise.all(versions.map((v) => writeFileAtomic(path, v)));
    expect(versions).to.include(await readFile(path, 'utf8'));
    expect(await readdir(root)).to.deep.equal(['race.txt']);
  });

  it('fails when the parent is a regular file, leaving that file intact', async () => {
    const file = join(root, 'plain.txt');
    await writeFile(file, 'keep me');
    const err = await rejection(writeFileAtomic(join(file, 'child.txt'), 'x'));
    expect((err as NodeJS.ErrnoException).code).to.be.oneOf(['ENOTDIR', 'EEXIST']);
    expect(await readFile(file, 'utf8')).to.equal('keep me');
    expect(await readdir(root)).to.deep.equal(['plain.txt']);
  });

  it('removes the temp file and keeps the target when the rename fails', async () => {
    const target = join(root, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'inside.txt'), 'keep me');
    const err = await rejection(writeFileAtomic(target, 'x'));
    expect((err as NodeJS.ErrnoException).code).to.be.oneOf(['EISDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM']);
    expect(await readdir(root)).to.deep.equal(['occupied']);
    expect(await readFile(join(target, 'inside.txt'), 'utf8')).to.equal('keep me');
  });

  it('writes pretty JSON with a trailing newline', async () => {
    const path = join(root, 'v.json');
    await writeJsonAtomic(path, { a: 1, b: [true] });
    expect(await readFile(path, 'utf8')).to.equal('{\n  "a": 1,\n  "b": [\n    true\n  ]\n}\n');
  });
});
