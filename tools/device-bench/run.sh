#!/usr/bin/env bash
# On the GPU machine (device tool), from the repo root, after the three carry calls (pack.sh) put
# node.xz.00/.01 and the kit under /tmp/keep:   bash tools/device-bench/run.sh
set -u
K=/tmp/keep
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
for f in "$K"/kit/*.deb; do dpkg -x "$f" /; done; ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
T=/tmp/tools
mkdir -p $T && cp -r "$K"/kit/tools/. $T/
cat "$K"/node.xz.0* | xz -d > $T/node && chmod +x $T/node
rm -f $T/webgpu/dist/linux-x64/dawn.node $T/ort/ort-wasm-simd-threaded.asyncify.wasm; xz -d $T/webgpu/dist/linux-x64/dawn.node.xz $T/ort/ort-wasm-simd-threaded.asyncify.wasm.xz
$T/node --version
# Fused attention (the bundles' graph, issue 15) first, then the decomposed graph it replaced, side by side.
for w in wide wide-decomposed; do
  echo "== $w: random weights"; python3 tools/device-bench/fill_random.py "$K/kit/$w/transformer.onnx"
  echo "== $w: onnxruntime-web 1.30 on WebGPU (Dawn in Node), real-width FLUX transformer, 1 double + 1 single block, q4"
  timeout 300 $T/node tools/device-bench/webgpu_step.mjs --ort $T/ort --dawn $T/webgpu \
    --model "$K/kit/$w/transformer.onnx" --config "$K/kit/$w/wide.json" --sizes 512,768,1024 --text 256 --runs 5
done
echo "== done"
