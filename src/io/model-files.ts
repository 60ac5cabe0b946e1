/**
 * Saving and loading tf.LayersModel as files in Node with plain @tensorflow/tfjs, which has no
 * `file://` handler. Owns the on-disk layout, the standard tfjs layers format:
 *
 *   dir/model.json   { modelTopology, format, generatedBy, convertedBy, weightsManifest, ... }
 *   dir/weights.bin  every weight (trainable and not, e.g. BatchNorm moving statistics) in
 *                    manifest order
 *   dir/data.json    what new data needs before the model sees it: the class names of the
 *                    outputs and the features' standardisation statistics (when saved with them)
 *
 * and the checks that name the broken file on load. Crash safety belongs to ./atomic-write;
 * building and training the model belongs to others.
 */
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from './atomic-write';
import { DataEncoding, readEncoding } from './data-encoding';
import { InputError } from '../data/input-error';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
const DATA_JSON = 'data.json';

/** A model read back by {@link loadModel}, with the encoding it was saved with. */
export interface LoadedModel extends DataEncoding {
  /** The caller disposes it. */
  model: tf.LayersModel;
}

export interface SavedModelFiles {
  /** Path of the written model.json. */
  modelJson: string;
  /** Path of the written weights.bin. */
  weightsBin: string;
  /** Byte length of weights.bin. */
  bytes: number;
}

/**
 * Writes `model` to `dir/model.json` and `dir/weights.bin` (creating `dir`), and `encoding`, when
 * given, to `dir/data.json`. model.json is written last: a directory with one holds the rest.
 *
 * @example
 * const { bytes } = await saveModel(model, 'runs/a/model', { classNames, standardizer });
 * const { model: copy, classNames } = await loadModel('runs/a/model');
 */
export async function saveModel(model: tf.LayersModel, dir: string, encoding?: DataEncoding): Promise<SavedModelFiles> {
  if (encoding) await writeJsonAtomic(join(dir, DATA_JSON), encoding);
  const result = await model.save(fileIOHandler(dir));
  const bytes = result.modelArtifactsInfo.weightDataBytes ?? 0;
  return { modelJson: join(dir, MODEL_JSON), weightsBin: join(dir, WEIGHTS_BIN), bytes };
}

/**
 * Reads a model written by {@link saveModel} (or any tfjs layers model.json with local weights)
 * and its data encoding (both null when the directory has no data.json).
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const encoding = await readEncoding(join(dir, DATA_JSON));
  const model = await tf.loadLayersModel(fileIOHandler(dir));
  return { model, ...encoding };
}

function parseJson(text: Buffer, path: string): unknown {
  try {
    return JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new InputError(`${path} is not valid JSON: ${messageOf(err)}`);
  }
}

/**
 * A tfjs IOHandler on directory `dir`, for `model.save(fileIOHandler('out/model'))` and
 * `tf.loadLayersModel(fileIOHandler('out/model'))`.
 */
export function fileIOHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      await writeArtifacts(dir, artifacts);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    load: () => readArtifacts(dir),
  };
}

/** Weights first, model.json last, so no reader sees a model.json pointing at missing weights. */
async function writeArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): Promise<void> {
  const modelJson = toModelJson(artifacts);
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []));
  await writeFileAtomic(join(dir, WEIGHTS_BIN), weights);
  await writeJsonAtomic(join(dir, MODEL_JSON), modelJson);
}

function toModelJson(artifacts: tf.io.ModelArtifacts): tf.io.ModelJSON {
  const { modelTopology } = artifacts;
  if (modelTopology === undefined || modelTopology instanceof ArrayBuffer) {
    throw new Error('only models with a JSON topology (tf.LayersModel) can be saved as files');
  }
  const json: tf.io.ModelJSON = {
    modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata !== undefined) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  return json;
}

async function readArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const modelJson = await readModelJson(join(dir, MODEL_JSON));
  return tf.io.getModelArtifactsForJSON(modelJson, (manifest) => readWeights(dir, manifest));
}

async function readModelJson(path: string): Promise<tf.io.ModelJSON> {
  const text = await readNamedFile(path, `${path} not found: no saved model there`);
  const parsed = parseJson(text, path);
  if (!isModelJson(parsed)) {
    throw new InputError(`${path} is not a tfjs layers model: modelTopology or weightsManifest is missing`);
  }
  return parsed;
}

function isModelJson(value: unknown): value is tf.io.ModelJSON {
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  return (
    typeof fields.modelTopology === 'object' && fields.modelTopology !== null && Array.isArray(fields.weightsManifest)
  );
}

/** All groups' files concatenated in manifest order, each group checked against its specs. */
async function readWeights(
  dir: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const groups: Buffer[] = [];
  for (const group of manifest) {
    groups.push(await readWeightGroup(dir, group));
    specs.push(...group.weights);
  }
  return [specs, new Uint8Array(Buffer.concat(groups)).buffer];
}

async function readWeightGroup(dir: string, group: tf.io.WeightsManifestConfig[number]): Promise<Buffer> {
  const paths = group.paths.map((p) => join(dir, p));
  const parts = await Promise.all(
    paths.map((p) => readNamedFile(p, `weights file ${p} listed in ${join(dir, MODEL_JSON)} is missing`)),
  );
  const data = Buffer.concat(parts);
  const expected = expectedBytes(group.weights);
  if (data.byteLength !== expected) {
    throw new InputError(
      `${paths.join(', ')} hold ${data.byteLength} bytes but the manifest's ${group.weights.length} weights need ${expected}`,
    );
  }
  return data;
}

const BYTES_PER_VALUE: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Sum over `specs` of product(shape) * bytes per value (the quantised dtype where there is one). */
export function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number {
  let total = 0;
  for (const spec of specs) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const size = BYTES_PER_VALUE[dtype];
    if (size === undefined) throw new Error(`weight ${spec.name}: dtype ${dtype} has no fixed size`);
    total += spec.shape.reduce((a, b) => a * b, 1) * size;
  }
  return total;
}

/** readFile, with `missing` as the message when the file does not exist. */
async function readNamedFile(path: string, missing: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(missing);
    throw new InputError(`cannot read ${path}: ${messageOf(err)}`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
