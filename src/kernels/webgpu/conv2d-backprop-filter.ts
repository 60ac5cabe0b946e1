/**
 * Conv2DBackpropFilter for tfjs' WebGPU backend: dW[r, c, i, o] = sum over output positions (b, y,
 * x) of input[b, y*s + r - pad, x*s + c - pad, i] * dy[b, y, x, o]. tfjs 4.22's shader gives each of
 * the filter's few elements (144 for a 3x3 filter from 1 to 16 channels) one thread that walks every
 * position of the batch, so the GPU idles: on an H200 it took 284 ms of a CNN-BN step's 360 ms of
 * GPU time at batch 1024. Here the positions are cut into slices, one thread per (slice, filter
 * element) adds its slice into a partial sum, and a second dispatch adds each element's partials in
 * slice order (the same sum every time). Channels-last only (every Keras layer); channels-first
 * goes to tfjs' kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { filterGradInfo } from '../filter-grad-info';
import { TOTAL, int, sliceRows, totalUniforms } from './channel-sums';
import { WebGpuBackend, elementWiseProgram, runProgram } from './program';

interface KernelArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: WebGpuBackend;
  attrs: tf.Conv2DBackpropFilterAttrs;
}

/** About this many threads in the partial sums' dispatch, enough to fill a large GPU. */
const TARGET_THREADS = 1 << 17;

/** No slice shorter than this many positions: below it the partials cost more than they save. */
const MIN_SLICE = 64;

/**
 * WGSL: the partial sum of filter element `f` (index % elements) over slice `s` (index / elements)
 * of the positions, walked as (batch, row, column) without dividing per position.
 */
const PARTIAL = `
  fn partial(index : i32) -> f32 {
    let f = index % uniforms.elements;
    let s = index / uniforms.elements;
    let o = f % uniforms.outChannels;
    let i = (f / uniforms.outChannels) % uniforms.inChannels;
    let c = (f / (uniforms.outChannels * uniforms.inChannels)) % uniforms.filterWidth;
    let r = f / (uniforms.outChannels * uniforms.inChannels * uniforms.filterWidth);
    let start = s * uniforms.slice;
    let end = min(start + uniforms.slice, uniforms.positions);
    let perImage = uniforms.outHeight * uniforms.outWidth;
    var b = start / perImage;
    var y = (start % perImage) / uniforms.outWidth;
    var x = start % uniforms.outWidth;
    var sum = 0.0;
    for (var p = start; p < end; p = p + 1) {
      let row = y * uniforms.strideHeight + r - uniforms.padTop;
      let col = x * uniforms.strideWidth + c - uniforms.padLeft;
      if (row >= 0 && row < uniforms.height && col >= 0 && col < uniforms.width) {
        let at = ((b * uniforms.height + row) * uniforms.width + col) * uniforms.inChannels + i;
        sum = sum + xs[at] * dy[p * uniforms.outChannels + o];
      }
      x = x + 1;
      if (x == uniforms.outWidth) {
        x = 0;
        y = y + 1;
        if (y == uniforms.outHeight) {
          y = 0;
          b = b + 1;
        }
      }
    }
    return sum;
  }
`;

function slicedFilterGrad(original: tf.KernelConfig) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs;
    const { filterShape } = attrs;
    const info = filterGradInfo(x, attrs);
    if (info.dataFormat !== 'channelsLast' || x.dtype !== 'float32' || dy.dtype !== 'float32')
      return original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const elements = tf.util.sizeFromShape(filterShape);
    const positions = info.batchSize * info.outHeight * info.outWidth;
    const { slices, slice } = sliceRows(positions, elements, TARGET_THREADS, MIN_SLICE);
    const geometry = [
      int('elements', elements),
      int('slice', slice),
      int('positions', positions),
      int('height', info.inHeight),
      int('width', info.inWidth),
      int('inChannels', info.inChannels),
      int('outChannels', info.outChannels),
      int('outHeight', info.outHeight),
      int('outWidth', info.outWidth),
      int('filterWidth', info.filterWidth),
      int('strideHeight', info.strideHeight),
      int('strideWidth', info.strideWidth),
      int('padTop', info.padInfo.top),
      int('padLeft', info.padInfo.left),
    ];
    const partialsProgram = elementWiseProgram(
      [slices, elements],
      'batchlab_conv2d_filter_partials',
      ['xs', 'dy'],
      geometry,
      PARTIAL,
      'partial(index)',
    );
    const partials = runProgram(backend, partialsProgram, [x, dy], geometry);
    try {
      // The partials are [slices, elements]: channel sums of one term over `elements` channels.
      const sums = totalUniforms(slices, 1, elements, positions);
      const totalProgram = elementWiseProgram(
        filterShape,
        'batchlab_conv2d_filter_total',
        ['partials'],
        sums,
        TOTAL,
        'total(0, index)',
      );
      return runProgram(backend, totalProgram, [partials], sums);
    } finally {
      backend.disposeData(partials.dataId);
    }
  };
}

/** batchlab's Conv2DBackpropFilter for webgpu, built on tfjs' own (for channels-first). */
export function slicedConv2DBackpropFilter(original: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'webgpu',
    kernelFunc: slicedFilterGrad(original) as unknown as tf.KernelFunc,
  };
}
