/**
 * Names a model's BatchNorm layers by their place, as a user reads the model: "hidden layer 2's
 * BatchNorm", "conv block 1's BatchNorm", "the dense head's BatchNorm", rather than by the names
 * tfjs generates (batch_normalization_BatchNormalization4), which say nothing about where a layer
 * is. A BN layer belongs to the weighted layer (dense or convolutional) before it, whichever side
 * of the activation it sits; dense layers after convolutions form the dense head. Layers of nested
 * models are read in order, as one sequence.
 */
import * as tf from '@tensorflow/tfjs';

export type Layer = tf.LayersModel['layers'][number];

export interface BatchNormPlace {
  layer: Layer;
  /** What the BN layer belongs to: `hidden layer 2`, `conv block 1`, `the dense head`, `the input`. */
  owner: string;
}

/** Every layer of the model in order, the layers of nested models in their place. */
function flatLayers(model: tf.LayersModel): Layer[] {
  return model.layers.flatMap((layer) => (layer instanceof tf.LayersModel ? flatLayers(layer) : [layer]));
}

type Weighted = { kind: 'conv' | 'dense'; index: number; afterConv: boolean };

/**
 * The BatchNorm layers of `model`, each with what it belongs to.
 * @example batchNormPlaces(mlp({ hidden: [8, 8], batchNorm: true }).build(...)).map((p) => p.owner)
 *   -> ['hidden layer 1', 'hidden layer 2']
 */
export function batchNormPlaces(model: tf.LayersModel): BatchNormPlace[] {
  const found: { layer: Layer; owner: Weighted | null }[] = [];
  const counts = { conv: 0, dense: 0, headDense: 0 };
  let last: Weighted | null = null;
  for (const layer of flatLayers(model)) {
    const name = layer.getClassName();
    if (name === 'BatchNormalization') found.push({ layer, owner: last });
    else if (/Conv/.test(name)) last = { kind: 'conv', index: ++counts.conv, afterConv: false };
    else if (name === 'Dense') {
      const afterConv = counts.conv > 0;
      last = { kind: 'dense', index: afterConv ? ++counts.headDense : ++counts.dense, afterConv };
    }
  }
  const headBn = found.filter((f) => f.owner?.kind === 'dense' && f.owner.afterConv).length;
  return found.map(({ layer, owner }) => ({ layer, owner: ownerName(owner, headBn) }));
}

function ownerName(owner: Weighted | null, headBn: number): string {
  if (owner === null) return 'the input';
  if (owner.kind === 'conv') return `conv block ${owner.index}`;
  if (!owner.afterConv) return `hidden layer ${owner.index}`;
  return headBn === 1 ? 'the dense head' : `dense head layer ${owner.index}`;
}

/** `hidden layer 1's BatchNorm and hidden layer 2's BatchNorm`, or one, or a list ending in "and". */
export function describeBatchNorms(places: BatchNormPlace[]): string {
  const names = places.map((p) => `${p.owner}'s BatchNorm`);
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
