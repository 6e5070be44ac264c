#!/usr/bin/env bash
# Regenerate tests/fixtures/assemble/tiny/ (deterministic; docs/assembly.md):
#   template/   weightless tiny template (graphs + template.json + CLIP tokenizer)
#   sources/    the tiny random weights (seed 0, as public/models/tiny) written as the public files are
#               (GGUF Q4_0 / Q8_0 with BFL / llama.cpp names, safetensors) + the stand-in T5 tokenizer,
#               and faults/ (unknown quant type, truncated, wrong shape)
#   source.json the source description (URLs relative to the repository root, which the test server serves)
#   expected/   the bundle an assembler must write from them (the Python assembler: byte-for-byte oracle)
# and tests/fixtures/assemble/tiny-f16/ (issue 15 item 2: fp16 activations where the GPU has shader-f16):
#   template/   the same tiny template written with --activations fp16 (only transformer.onnx and
#               template.json differ; the other graphs and the CLIP tokenizer are the same bytes)
#   source.json tiny/source.json (the same sources) + "template_f16" naming that template
#   expected/   fill of the fp16 template (only the transformer's graph and shard differ from tiny/expected)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY="${PY:-$HERE/.venv/bin/python}"
FX=tests/fixtures/assemble/tiny
cd "$ROOT"
rm -rf "$FX/template" "$FX/sources" "$FX/expected"
"$PY" -m time_stream_export template --size tiny --activations fp32 --out "$FX/template"
"$PY" -m time_stream_export sources --size tiny --seed 0 --out "$FX/sources" --url-prefix "/$FX/sources/" \
  --template-url "/$FX/template/template.json" --description "$FX/source.json"
"$PY" -m time_stream_export fill --template "$FX/template/template.json" --source "$FX/source.json" --out "$FX/expected"
"$PY" -c "
import json; from pathlib import Path; from time_stream_export import assemble as A
fx = Path('$FX'); faults = A.write_fault_ggufs(fx / 'sources/transformer.gguf', fx / 'sources/faults', None)
(fx / 'sources/faults/index.json').write_text(json.dumps(faults, indent=2) + '\n')"
F16=tests/fixtures/assemble/tiny-f16
rm -rf "$F16/template" "$F16/expected"
"$PY" -m time_stream_export template --size tiny --activations fp16 --out "$F16/template"
"$PY" -c "
import json
s = json.load(open('$FX/source.json'))
out = {}
for k, v in s.items():
    out[k] = v
    if k == 'template':
        out['template_f16'] = '/$F16/template/template.json'
out['id'] = 'tiny-random-flux-schnell-assembled-f16'
out['display_name'] = 'Tiny random FLUX.1-schnell (assembled; fp16 activations where the GPU has shader-f16)'
open('$F16/source.json', 'w').write(json.dumps(out, indent=2) + '\n')"
"$PY" -m time_stream_export fill --template "$F16/template/template.json" --source "$F16/source.json" --out "$F16/expected"
du -sb "$FX"/* "$F16"/* | sort -n
echo "build_assemble_fixtures.sh: done"
