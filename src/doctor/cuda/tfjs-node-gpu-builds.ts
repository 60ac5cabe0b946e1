/**
 * What each tfjs-node-gpu release was built against, for a package whose own files name no CUDA or
 * cuDNN version (the published README is a one-line pointer, and libtensorflow builds its library
 * names at run time). Owns the two tables and their lookup; reading the package is
 * native-requirements.ts's job. Sources:
 * - libtensorflow per release: `LIBTENSORFLOW_VERSION` in tfjs-node/scripts/deps-constants.js at
 *   each tfjs-vX.Y.Z tag of github.com/tensorflow/tfjs (tfjs-node-gpu is published from the same
 *   scripts, at the same version numbers).
 * - CUDA and cuDNN per TensorFlow version: the Linux GPU table of "Tested build configurations" in
 *   TensorFlow's install-from-source guide (tensorflow.org/install/source; site/en/install/source.md
 *   of github.com/tensorflow/docs), row tensorflow-X.Y.0 for libtensorflow X.Y.z.
 */

/** Releases `from`..`to` (inclusive) downloaded this libtensorflow. */
const LIBTENSORFLOW_BY_RELEASE: readonly { from: string; to: string; libtensorflow: string }[] = [
  { from: '1.2.8', to: '1.4.0', libtensorflow: '1.14.0' },
  { from: '1.5.0', to: '3.3.0', libtensorflow: '1.15.0' },
  { from: '3.4.0', to: '3.7.0', libtensorflow: '2.4.1' },
  { from: '3.8.0', to: '3.9.0', libtensorflow: '2.5.0' },
  { from: '3.10.0', to: '3.11.0', libtensorflow: '2.6.0' },
  { from: '3.12.0', to: '3.18.0', libtensorflow: '2.7.0' },
  { from: '3.19.0', to: '3.20.0', libtensorflow: '2.7.3' },
  { from: '3.21.0', to: '4.22.0', libtensorflow: '2.9.1' },
];

/** CUDA and cuDNN each TensorFlow major.minor was built and tested with, for those above. */
const CUDA_BY_TENSORFLOW: Record<string, { cuda: string; cudnn: string }> = {
  '1.14': { cuda: '10.0', cudnn: '7.4' },
  '1.15': { cuda: '10.0', cudnn: '7.4' },
  '2.4': { cuda: '11.0', cudnn: '8.0' },
  '2.5': { cuda: '11.2', cudnn: '8.1' },
  '2.6': { cuda: '11.2', cudnn: '8.1' },
  '2.7': { cuda: '11.2', cudnn: '8.1' },
  '2.9': { cuda: '11.2', cudnn: '8.1' },
};

export interface TensorflowBuild {
  libtensorflow: string;
  cuda: string;
  cudnn: string;
}

/** The libtensorflow a tfjs-node-gpu release downloads, e.g. '4.22.0' -> '2.9.1'; null when not in the table. */
export function libtensorflowForRelease(version: string): string | null {
  const parsed = numbers(version);
  if (!parsed) return null;
  const row = LIBTENSORFLOW_BY_RELEASE.find(
    (r) => compare(parsed, numbers(r.from)!) >= 0 && compare(parsed, numbers(r.to)!) <= 0,
  );
  return row?.libtensorflow ?? null;
}

/**
 * The CUDA and cuDNN versions a libtensorflow was built for, from its version when known, else
 * from the tfjs-node-gpu release's; null when neither is in the tables.
 */
export function tensorflowBuild(libtensorflow: string | null, release: string | null): TensorflowBuild | null {
  const version = libtensorflow ?? (release ? libtensorflowForRelease(release) : null);
  const built = version ? CUDA_BY_TENSORFLOW[version.split('.').slice(0, 2).join('.')] : undefined;
  return version && built ? { libtensorflow: version, ...built } : null;
}

/** [major, minor, patch] of 'X.Y.Z' (a pre-release suffix is ignored), or null. */
function numbers(version: string): number[] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return match ? match.slice(1).map(Number) : null;
}

function compare(a: number[], b: number[]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}
