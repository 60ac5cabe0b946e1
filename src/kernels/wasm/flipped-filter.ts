/**
 * The filter of the transposed convolution: for stride 1, the input gradient of a convolution with
 * W [fh, fw, in, out] is the forward convolution of dy with W' [fh, fw, out, in], where
 * W'[r, c, o, i] = W[fh - 1 - r, fw - 1 - c, i, o] (taps reversed, channel roles swapped). Owns that
 * layout only; allocating the tensor and running the convolution are the kernel's.
 */
type Values = Float32Array | Int32Array | Uint8Array;

/**
 * Writes W' into `flipped` (fh * fw * in * out values, every one set) from W in `filter`, both flat
 * and row-major; `filterShape` is W's [fh, fw, in, out]. E.g. a 1x2 filter with one input and two
 * output channels, [[a, b], [c, d]] per tap, becomes [[c], [d], [a], [b]].
 */
export function flipFilter(filter: Values, flipped: Values, filterShape: readonly number[]): void {
  const [filterHeight, filterWidth, inChannels, outChannels] = filterShape;
  const taps = filterHeight * filterWidth;
  const tapSize = inChannels * outChannels;
  for (let tap = 0; tap < taps; tap++) {
    // Tap (r, c) reads tap (fh - 1 - r, fw - 1 - c): the flat tap index counted from the end.
    const src = (taps - 1 - tap) * tapSize;
    const dst = tap * tapSize;
    // Each tap is an [in, out] matrix in W and its transpose [out, in] in W'.
    for (let i = 0; i < inChannels; i++) {
      for (let o = 0, from = src + i * outChannels; o < outChannels; o++) {
        flipped[dst + o * inChannels + i] = filter[from + o];
      }
    }
  }
}
