#!/usr/bin/env bash
# Here (no GPU): fills .device/ (git-ignored) with what run.sh needs on the GPU machine. The device
# tool carries at most 64 MiB per call INCLUDING the working tree (~45 MiB of tracked files), so the
# kit travels in three calls that each copy their part to /tmp/keep on the (still warm) machine:
#   .device/node-a, .device/node-b   Node 20 (stripped, xz, split in two)
#   .device/kit                      dawn.node (npm `webgpu` 0.6.2), onnxruntime-web 1.30's WebGPU
#                                    build, the Vulkan loader deb, the wide transformer's graphs
set -euo pipefail
cd "$(dirname "$0")/../.."
D=.device
P=/tmp/device-pack
rm -rf $D/node-a $D/node-b $D/kit && mkdir -p $D/node-a $D/node-b $D/kit/tools/ort $D/kit/tools/webgpu/dist/linux-x64 $P
# The bundles' graph (fused attention) and the one before issue 15 (decomposed), for a side-by-side run.
[ -f $D/wide/transformer.onnx ] && grep -q '"attention": "fused"' $D/wide/wide.json || tools/export/.venv/bin/python tools/device-bench/export_wide.py --out $D/wide
[ -f $D/wide-decomposed/transformer.onnx ] || tools/export/.venv/bin/python tools/device-bench/export_wide.py --attention decomposed --out $D/wide-decomposed
cp -r $D/wide $D/wide-decomposed $D/kit/
(cd $P && { [ -d webgpu-pkg ] || { npm pack webgpu@0.6.2 >/dev/null && mkdir webgpu-pkg && tar xzf webgpu-0.6.2.tgz -C webgpu-pkg; }; })
cp $P/webgpu-pkg/package/index.js $P/webgpu-pkg/package/package.json $D/kit/tools/webgpu/
xz -9 -T2 -c $P/webgpu-pkg/package/dist/linux-x64/dawn.node > $D/kit/tools/webgpu/dist/linux-x64/dawn.node.xz
cp node_modules/onnxruntime-web/dist/ort.webgpu.min.mjs node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs $D/kit/tools/ort/
xz -9 -T2 -c node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm > $D/kit/tools/ort/ort-wasm-simd-threaded.asyncify.wasm.xz
(cd $D/kit && apt-get download libvulkan1 2>/dev/null)
cp "$(readlink -f "$(command -v node)")" $P/node && strip $P/node && xz -9e -T2 -c $P/node > $P/node.xz
split -n 2 -d $P/node.xz $P/node.xz.
mv $P/node.xz.00 $D/node-a/ && mv $P/node.xz.01 $D/node-b/
du -sh $D/node-a $D/node-b $D/kit
