#!/usr/bin/env bash
# Builds gpu-bundle/: scripts/gpu-check.ts with every dependency it needs, for a machine with a GPU
# but no internet and no npm. Run it here after `npm install`, copy gpu-bundle/ over, and there run
#   bash gpu-bundle/run.sh
# It holds a single JavaScript file (esbuild), tfjs' wasm binaries, Dawn for linux-x64, the
# embedded data, and this machine's node binary compressed with xz (used when the GPU machine has
# no node of its own).
#   bash scripts/gpu-bundle.sh [--no-node] [out-dir]
# --no-node leaves the node binary out (24 MB), for a machine with Node.js 20 or newer.
set -euo pipefail
with_node=1
out=gpu-bundle
for arg in "$@"; do
  case "$arg" in
    --no-node) with_node=0 ;;
    -*) echo "gpu-bundle.sh: unknown option $arg" >&2; exit 2 ;;
    *) out="$(realpath -m "$arg")" ;;
  esac
done
cd "$(dirname "$0")/.."
# Replaces an earlier bundle, never a folder that holds anything else.
if [ -d "$out" ] && [ ! -f "$out/gpu-check.js" ] && [ -n "$(ls -A "$out")" ]; then
  echo "gpu-bundle.sh: out-dir $out exists and is not a bundle; name a new or empty folder" >&2
  exit 2
fi
rm -rf "$out"
mkdir -p "$out/node_modules/webgpu/dist" "$out/data"
npx esbuild scripts/gpu-check.ts --bundle --platform=node --target=node18 --format=cjs --minify \
  --external:webgpu --log-level=warning --outfile="$out/gpu-check.js"
# tfjs-backend-wasm loads its binaries from the directory of the code that loads them.
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$out/"
# The threaded build is found through the package's own folder; the scripts that tfjs' threads and
# batchlab's kernel threads run are plain JavaScript, looked for beside the code.
wasm_pkg="$out/node_modules/@tensorflow/tfjs-backend-wasm"
mkdir -p "$wasm_pkg/wasm-out"
cp node_modules/@tensorflow/tfjs-backend-wasm/package.json "$wasm_pkg/"
cp node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.{js,wasm,worker.js} "$wasm_pkg/wasm-out/"
cp src/backend/wasm-threads/pthread-worker.ts "$out/pthread-worker.js"
cp src/kernels/wasm/simd/pool-worker.ts "$out/pool-worker.js"
# Dawn: its loader and the linux-x64 binary only (the package carries every platform's).
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$out/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$out/node_modules/webgpu/dist/"
# The Vulkan loader that Dawn opens, which images with only a GPU driver often lack; run.sh uses it
# where the machine has none of its own.
loader="$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ { print $NF; exit }')"
if [ -n "$loader" ]; then
  mkdir -p "$out/lib"
  cp -L "$loader" "$out/lib/libvulkan.so.1"
fi
# The embedded data set, found through a package.json named batchlab above the code.
cp -r data/fashion-mnist-small "$out/data/"
echo '{ "name": "batchlab", "private": true }' > "$out/package.json"
if [ "$with_node" = 1 ]; then xz -9 -T0 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"; fi
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the GPU check with the machine's node (20 or newer), else with the bundled one, and with the
# bundled Vulkan loader where the machine has none.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
node_bin="$(command -v node || true)"
if [ -z "$node_bin" ] || ! "$node_bin" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  if [ ! -f "$here/node.xz" ]; then echo "run.sh: needs Node.js 20 or newer (this bundle carries none)" >&2; exit 1; fi
  node_bin="${TMPDIR:-/tmp}/batchlab-node"
  xz -dc "$here/node.xz" > "$node_bin" && chmod +x "$node_bin"
fi
if [ -f "$here/lib/libvulkan.so.1" ] && ! grep -qa 'libvulkan\.so\.1' /etc/ld.so.cache 2>/dev/null; then
  export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
exec "$node_bin" "$here/gpu-check.js" "$@"
RUN
chmod +x "$out/run.sh"
du -sh "$out"
