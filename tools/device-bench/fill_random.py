"""Write random external-data shards for a graph whose shards were dropped (export_wide.py).

uint8 / int8 tensors (MatMulNBits packed codes, T5's Q8_0 table codes) get uniform random bytes, *scales* small positive
values, every other float tensor N(0, 0.02): random weights of the real layout, enough to time.

    python3 fill_random.py DIR/transformer.onnx
"""

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto

graph = Path(sys.argv[1])
model = onnx.load(str(graph), load_external_data=False)
rng = np.random.default_rng(0)
by_file: dict[str, list] = defaultdict(list)
for t in model.graph.initializer:
    if t.data_location != TensorProto.EXTERNAL:
        continue
    info = {e.key: e.value for e in t.external_data}
    by_file[info["location"]].append((int(info.get("offset", 0)), int(info["length"]), t))
total = 0
for location, tensors in by_file.items():
    with open(graph.parent / location, "wb") as fh:
        for offset, length, t in sorted(tensors, key=lambda x: x[0]):
            fh.seek(offset)
            if t.data_type in (TensorProto.UINT8, TensorProto.INT8):  # MatMulNBits codes, Q8_0 table codes
                data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
            elif t.data_type == TensorProto.FLOAT:
                n = length // 4
                values = rng.uniform(0.001, 0.004, n) if "scales" in t.name else rng.normal(0, 0.02, n)
                data = values.astype("<f4").tobytes()
            else:
                raise SystemExit(f"{t.name}: unexpected type {t.data_type}")
            fh.write(data)
            total += length
print(f"wrote {total / 2**20:.1f} MiB of random weights into {len(by_file)} shard(s)")
