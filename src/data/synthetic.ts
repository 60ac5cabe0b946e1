/**
 * Seeded synthetic data sets as RawData, for tests, examples and quick experiments: Gaussian blobs
 * and two spirals (classification) and a noisy linear function (regression). Owns the generating
 * rules and their argument checks; moving the arrays onto the backend belongs to toDataset in
 * ./dataset. Sample i of a classification set has class i % classes, so classes are balanced and
 * ordered; shuffling is left to the batching code. One seed, one data set, on every machine.
 */
import type { RawData } from './dataset';
import { createRng, deriveSeed, gaussian, type Rng } from '../util/random';

export interface GaussianBlobsOptions {
  /** Number of samples; a positive integer. */
  samples: number;
  /** Number of classes, an integer >= 2. Default 3. */
  classes?: number;
  /** Features per sample, an integer >= 2. Default 2. */
  features?: number;
  /** Standard deviation of every feature around its class centre, >= 0. Default 1. */
  spread?: number;
  seed: number;
}

/** Radius of the circle the blob centres lie on. */
const BLOB_RADIUS = 4;

/**
 * Isotropic Gaussian clusters. The class centres lie evenly spaced, at a seeded angle offset, on a
 * circle of radius 4 about the origin in a seeded random plane of feature space.
 *
 * @example
 * gaussianBlobs({ samples: 6, seed: 1 }).targets  // Int32Array [0, 1, 2, 0, 1, 2]
 */
export function gaussianBlobs(options: GaussianBlobsOptions): RawData {
  const { samples, classes = 3, features = 2, spread = 1, seed } = options;
  checkInteger('samples', samples, 1);
  checkSeed(seed);
  checkInteger('classes', classes, 2);
  checkInteger('features', features, 2);
  checkNonNegative('spread', spread);
  const rng = createRng(deriveSeed(seed, 0xb10b));
  const centres = blobCentres(classes, features, rng);
  const data = emptyClassification(samples, classes, [features]);
  for (let i = 0; i < samples; i++) {
    const centre = centres[i % classes];
    for (let f = 0; f < features; f++) data.features[i * features + f] = centre[f] + spread * gaussian(rng);
  }
  return data;
}

function blobCentres(classes: number, features: number, rng: Rng): Float64Array[] {
  const [u, v] = randomPlane(features, rng);
  const offset = 2 * Math.PI * rng();
  const centres: Float64Array[] = [];
  for (let k = 0; k < classes; k++) {
    const angle = offset + (2 * Math.PI * k) / classes;
    const c = new Float64Array(features);
    for (let f = 0; f < features; f++) c[f] = BLOB_RADIUS * (Math.cos(angle) * u[f] + Math.sin(angle) * v[f]);
    centres.push(c);
  }
  return centres;
}

/** Two orthonormal vectors in `dims` dimensions (Gram-Schmidt on two Gaussian vectors). */
function randomPlane(dims: number, rng: Rng): [Float64Array, Float64Array] {
  const u = normalise(gaussianVector(dims, rng));
  const v = gaussianVector(dims, rng);
  const along = dot(u, v);
  for (let i = 0; i < dims; i++) v[i] -= along * u[i];
  return [u, normalise(v)];
}

export interface TwoSpiralsOptions {
  /** Number of samples; a positive integer. */
  samples: number;
  /** Standard deviation of the Gaussian noise added to each coordinate, >= 0. Default 0.2. */
  noise?: number;
  seed: number;
}

/** Turns of each spiral arm. */
const SPIRAL_TURNS = 1.5;
/** Radius at the end of each arm. */
const SPIRAL_RADIUS = 4;

/**
 * Two interleaved spiral arms in the plane (2 classes, 2 features). Each sample draws t uniformly
 * in [0, 1) and sits at radius 4t and angle 2π·1.5·t, class 1 turned by π, plus noise.
 */
export function twoSpirals(options: TwoSpiralsOptions): RawData {
  const { samples, noise = 0.2, seed } = options;
  checkInteger('samples', samples, 1);
  checkSeed(seed);
  checkNonNegative('noise', noise);
  const rng = createRng(deriveSeed(seed, 0x5917));
  const data = emptyClassification(samples, 2, [2]);
  for (let i = 0; i < samples; i++) {
    const t = rng();
    const angle = 2 * Math.PI * SPIRAL_TURNS * t + Math.PI * (i % 2);
    data.features[2 * i] = SPIRAL_RADIUS * t * Math.cos(angle) + noise * gaussian(rng);
    data.features[2 * i + 1] = SPIRAL_RADIUS * t * Math.sin(angle) + noise * gaussian(rng);
  }
  return data;
}

export interface LinearRegressionOptions {
  /** Number of samples; a positive integer. */
  samples: number;
  /** Features per sample; a positive integer. Default 4. */
  features?: number;
  /** Standard deviation of the Gaussian noise added to each target, >= 0. Default 0.1. */
  noise?: number;
  seed: number;
}

/** RawData plus the coefficients that generated it. */
export interface LinearRegressionData extends RawData {
  /** The true w, one per feature (float32, the values the targets were computed with). */
  weights: Float32Array;
  /** The true b. */
  bias: number;
}

/**
 * Standard normal features x and targets x·w + b + noise·ε, with w and b standard normal draws
 * from the seed and ε standard normal per sample.
 */
export function linearRegression(options: LinearRegressionOptions): LinearRegressionData {
  const { samples, features = 4, noise = 0.1, seed } = options;
  checkInteger('samples', samples, 1);
  checkSeed(seed);
  checkInteger('features', features, 1);
  checkNonNegative('noise', noise);
  const rng = createRng(deriveSeed(seed, 0x11e4));
  const weights = Float32Array.from(gaussianVector(features, rng));
  const bias = Math.fround(gaussian(rng));
  const x = new Float32Array(samples * features);
  const targets = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    let y = bias;
    for (let f = 0; f < features; f++) {
      x[i * features + f] = gaussian(rng);
      y += x[i * features + f] * weights[f];
    }
    targets[i] = y + noise * gaussian(rng);
  }
  return { features: x, inputShape: [features], targets, weights, bias };
}

/** Zero features and round-robin class targets (sample i gets class i % classes). */
function emptyClassification(samples: number, classes: number, inputShape: number[]): RawData {
  const targets = new Int32Array(samples);
  for (let i = 0; i < samples; i++) targets[i] = i % classes;
  const size = inputShape.reduce((a, b) => a * b, 1);
  return { features: new Float32Array(samples * size), inputShape, targets };
}

function gaussianVector(n: number, rng: Rng): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = gaussian(rng);
  return v;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normalise(v: Float64Array): Float64Array {
  const norm = Math.sqrt(dot(v, v));
  return v.map((x) => x / norm);
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
}

function checkNonNegative(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new Error(`${name} must be a finite number >= 0, got ${value}`);
  }
}

/**
 * Tiny two-class images for quick CNN checks: 8x8x1, class 0 bright in the top half, class 1 in the
 * bottom half, the other half a fixed pattern in [0, 0.4]. Deterministic; sample i has class i % 2.
 */
export function twoHalvesImages(samples: number): RawData {
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`samples must be an integer >= 1, got ${samples}`);
  const features = new Float32Array(samples * 64);
  const targets = Int32Array.from({ length: samples }, (_, i) => i % 2);
  for (let i = 0; i < samples; i++) {
    for (let p = 0; p < 64; p++) features[i * 64 + p] = p < 32 === (i % 2 === 0) ? 1 : ((p * 7 + i) % 5) / 10;
  }
  return { features, inputShape: [8, 8, 1], targets };
}
