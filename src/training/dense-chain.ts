/**
 * The gradient of a model that is a chain of Dense layers (linear or ReLU, models/dense-layer's
 * plain-op kind, each maybe followed by a ReLU Activation layer) after an optional Flatten, under
 * the fused softmax cross-entropy, computed without
 * tfjs' gradient tape. The tape records every op of the forward pass, clones each saved input and
 * walks the graph back; at batch size 1, where the arithmetic is tiny, that bookkeeping is most of
 * an update (58 kernel dispatches for the 784-256-128-10 MLP, 17 of them clones). Here the forward
 * pass keeps what the backward pass needs, and the backward pass calls the very gradient functions
 * that tfjs has registered for each op (so the arithmetic, and every result, is bit for bit the
 * tape's), in reverse order, asking only for the gradients that lead to a weight. Where the backend
 * has the fused Dense layer kernels (src/ops/dense-layer.ts: wasm), each layer's forward and
 * backward pass is one dispatch of those same kernels instead.
 * A Dense layer may be followed by batchlab's plain BatchNormalization layer and a ReLU after it
 * (./chain-batch-norm), in either order of BatchNorm and activation.
 * Any other model (ghost BN or batch renorm, dropout, other layers or activations, regression, shared
 * layers, frozen weights, a backend without the fused loss) takes the tape: denseChainOf says which.
 */
import * as tf from '@tensorflow/tfjs';
import type { Task } from '../data/dataset';
import { PlainDense, plainDense } from '../../models/dense-layer';
import { SOFTMAX_CROSS_ENTROPY, hasFusedSoftmaxCrossEntropy, softmaxCrossEntropy } from '../ops/softmax-cross-entropy';
import { denseBackward, denseForward, hasFusedDenseLayer } from '../ops/dense-layer';
import { ChainNorm, NormSaved, chainNormOf, normBackward, normForward, normWeights } from './chain-batch-norm';
import { gradientOf } from './registered-gradient';

/** A Dense layer of the chain (with its ReLU, if any), and the BatchNorm stage after it, if any. */
export interface ChainedDense extends PlainDense {
  norm: ChainNorm | null;
}

/** The chain's layers from input to output, and whether the input is flattened first. */
export interface DenseChain {
  flatten: boolean;
  layers: ChainedDense[];
}

export interface ChainGradients {
  loss: tf.Scalar;
  correct: tf.Scalar;
  /** By variable name, in the order of the variables the chain was made for (the tape's order). */
  grads: tf.NamedTensorMap;
}

/**
 * The chain that `model` is, when its trainable `variables` are exactly the chain's weights and the
 * task and backend take the fused loss; else null (train on the tape).
 */
export function denseChainOf(model: tf.LayersModel, variables: tf.Variable[], task: Task): DenseChain | null {
  if (task !== 'classification' || !hasFusedSoftmaxCrossEntropy()) return null;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return null;
  // One use per layer: a layer applied twice shares its weights between places of the chain.
  if (model.layers.some((l) => l.inboundNodes.length !== 1)) return null;
  const [input, ...rest] = model.layers;
  if (input?.getClassName() !== 'InputLayer') return null;
  const flatten = rest[0]?.getClassName() === 'Flatten';
  const layers = denseLayersOf(flatten ? rest.slice(1) : rest);
  if (!layers || (!flatten && model.inputs[0].shape.length !== 2)) return null;
  const weights = layers.flatMap((l) => [
    l.kernel,
    ...(l.bias ? [l.bias] : []),
    ...(l.norm ? normWeights(l.norm) : []),
  ]);
  const trainable = new Set(variables);
  const all = weights.every((w) => w.trainable && trainable.has(w.read() as tf.Variable));
  return all && weights.length === variables.length ? { flatten, layers } : null;
}

/**
 * `layers` as plain Dense layers, each maybe followed by an Activation layer (linear, or ReLU after
 * a linear Dense: the same tf.relu op as a Dense's own) and a BatchNorm stage, with a ReLU
 * Activation after it, or before it (the Dense's own or an Activation layer); null if anything
 * else is among them.
 */
function denseLayersOf(layers: tf.layers.Layer[]): ChainedDense[] | null {
  const chain: ChainedDense[] = [];
  for (const layer of layers) {
    const dense = plainDense(layer);
    if (dense) {
      chain.push({ ...dense, norm: null });
      continue;
    }
    const last = chain[chain.length - 1];
    if (!last) return null;
    const norm = chainNormOf(layer);
    if (norm) {
      if (last.norm) return null;
      last.norm = { layer: norm, relu: false };
      continue;
    }
    if (layer.getClassName() !== 'Activation') return null;
    const name = (layer as unknown as { activation: { getClassName(): string } }).activation.getClassName();
    // A ReLU belongs to the stage it follows: the BatchNorm stage once there is one, else the Dense layer.
    const stage = last.norm ?? last;
    if (name === 'relu' && !stage.relu) stage.relu = true;
    else if (name !== 'linear') return null;
  }
  return chain.length > 0 ? chain : null;
}

/**
 * Loss, correct count and weight gradients of `chain` on the batch (x, y). `weight` scales the loss
 * and the gradient, as the tape's would for loss * weight (a micro-batch's share). Everything
 * returned is new (the caller disposes it); everything else is released.
 */
export function chainGradients(
  chain: DenseChain,
  variables: tf.Variable[],
  x: tf.Tensor,
  y: tf.Tensor,
  weight: number | null,
): ChainGradients {
  const [loss, correct, ...grads] = tf.tidy(() => {
    const { loss, correct, byVariable } = forwardBackward(chain, x, y, weight);
    return [loss, correct, ...variables.map((v) => byVariable.get(v) as tf.Tensor)];
  });
  const named: tf.NamedTensorMap = {};
  variables.forEach((v, i) => (named[v.name] = grads[i]));
  return { loss, correct, grads: named };
}

/** Loss, correct count and each weight's gradient from one forward and backward pass of the chain. */
interface ChainPass {
  loss: tf.Scalar;
  correct: tf.Scalar;
  byVariable: Map<tf.Variable, tf.Tensor>;
}

type ForwardBackward = (chain: DenseChain, x: tf.Tensor, y: tf.Tensor, weight: number | null) => ChainPass;

/** Through the fused layer kernels where the backend has them, else through tfjs' ops. */
const forwardBackward: ForwardBackward = (chain, x, y, weight) => {
  return hasFusedDenseLayer() ? fusedForwardBackward(chain, x, y, weight) : opForwardBackward(chain, x, y, weight);
};

/** The loss of the chain's output h, weighted, and the gradient of that with respect to h. */
function weightedLoss(
  y: tf.Tensor,
  h: tf.Tensor,
  weight: number | null,
): { loss: tf.Scalar; correct: tf.Scalar; dh: tf.Tensor } {
  const result = softmaxCrossEntropy(y, h);
  const loss = weight === null ? result.loss : tf.mul<tf.Scalar>(result.loss, weight);
  // The gradient of loss * weight is weight times the loss's own (the tape's Multiply).
  const seed = tf.scalar(weight ?? 1);
  const dh = (gradientOf(SOFTMAX_CROSS_ENTROPY)([seed], [y, h], {}) as Record<string, () => tf.Tensor>).logits();
  return { loss, correct: result.correct, dh };
}

/** The chain through the fused layer kernels: one dispatch per layer and pass. */
const fusedForwardBackward: ForwardBackward = (chain, x, y, weight) => {
  const inputs: tf.Tensor[] = [];
  const preActivations: tf.Tensor[] = [];
  const norms: (NormSaved | null)[] = [];
  let h = x;
  for (const layer of chain.layers) {
    inputs.push(h);
    const { z, output } = denseForward(h, layer.kernel.read(), layer.bias?.read() ?? null, { relu: layer.relu });
    preActivations.push(z);
    h = throughNorm(layer, output, norms);
  }
  const { loss, correct, dh } = weightedLoss(y, h, weight);
  const byVariable = new Map<tf.Variable, tf.Tensor>();
  let dy = dh;
  for (let i = chain.layers.length - 1; i >= 0; i--) {
    const layer = chain.layers[i];
    dy = backThroughNorm(layer, norms[i], dy, byVariable);
    const attrs = { relu: layer.relu, bias: layer.bias !== null, inputGradient: i > 0 };
    const { dKernel, dBias, dx } = denseBackward(dy, inputs[i], layer.kernel.read(), preActivations[i], attrs);
    byVariable.set(layer.kernel.read() as tf.Variable, dKernel);
    if (layer.bias && dBias) byVariable.set(layer.bias.read() as tf.Variable, dBias);
    if (dx) dy = dx;
  }
  return { loss, correct, byVariable };
};

/** The chain through tfjs' ops and their registered gradients. */
const opForwardBackward: ForwardBackward = (chain, x, y, weight) => {
  // Forward, keeping each layer's input, product and pre-activation (the tape's saved tensors).
  const inputs: tf.Tensor[] = [];
  const products: tf.Tensor[] = [];
  const preActivations: tf.Tensor[] = [];
  const norms: (NormSaved | null)[] = [];
  let h = chain.flatten ? tf.reshape(x, [x.shape[0], -1]) : x;
  for (const layer of chain.layers) {
    inputs.push(h);
    const product = tf.matMul(h, layer.kernel.read());
    const z = layer.bias ? tf.add(product, layer.bias.read()) : product;
    products.push(product);
    preActivations.push(z);
    h = throughNorm(layer, layer.relu ? tf.relu(z) : z, norms);
  }
  const { loss, correct, dh } = weightedLoss(y, h, weight);
  let dy = dh;
  const byVariable = new Map<tf.Variable, tf.Tensor>();
  const [relu, add, matMul] = ['Relu', 'Add', 'BatchMatMul'].map(gradientOf);
  for (let i = chain.layers.length - 1; i >= 0; i--) {
    const layer = chain.layers[i];
    dy = backThroughNorm(layer, norms[i], dy, byVariable);
    if (layer.relu) dy = relu(dy, [preActivations[i]], {}).x();
    if (layer.bias) {
      // The product's gradient through the add is dy itself (same shape, the reshape changes nothing).
      const bias = layer.bias.read();
      byVariable.set(bias as tf.Variable, add(dy, [products[i], bias], {}).b());
    }
    const kernel = layer.kernel.read();
    const product = matMul(dy, [inputs[i], kernel], { transposeA: false, transposeB: false });
    byVariable.set(kernel as tf.Variable, product.b());
    if (i > 0) dy = product.a();
  }
  return { loss, correct, byVariable };
};

/** A Dense layer's output through the BatchNorm stage after it, if any; what its gradient needs goes to `norms`. */
function throughNorm(layer: ChainedDense, output: tf.Tensor, norms: (NormSaved | null)[]): tf.Tensor {
  if (!layer.norm) {
    norms.push(null);
    return output;
  }
  const stage = normForward(layer.norm, output);
  norms.push(stage.saved);
  return stage.output;
}

/** The gradient with respect to a Dense layer's output, from the one after its BatchNorm stage, if any. */
function backThroughNorm(
  layer: ChainedDense,
  saved: NormSaved | null,
  dy: tf.Tensor,
  byVariable: Map<tf.Variable, tf.Tensor>,
): tf.Tensor {
  return layer.norm && saved ? normBackward(layer.norm, saved, dy, byVariable) : dy;
}
