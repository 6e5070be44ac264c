"""Writes the safetensors reader's unit fixture with the `safetensors` library itself (the format's
reference writer): tests/fixtures/gguf/small.safetensors and small.safetensors.json (what a reader must
find: names, dtypes, shapes, absolute offsets, and the values as float32 lists).

Run: tools/export/.venv/bin/python tools/gguf-fixtures/make_safetensors.py
"""
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "gguf"


def main() -> None:
    g = torch.Generator().manual_seed(7)
    tensors = {
        "text_model.embeddings.token_embedding.weight": torch.randn(5, 8, generator=g).to(torch.float16),
        "text_model.embeddings.position_ids": torch.arange(6, dtype=torch.int64).reshape(1, 6),
        "text_model.final_layer_norm.bias": torch.randn(8, generator=g),
        "decoder.layers.0.weight": torch.randn(4, 3, 3, 3, generator=g),
        "bf16.weight": torch.randn(3, 32, generator=g).to(torch.bfloat16),
        "scalar": torch.tensor(1.5),
    }
    path = OUT / "small.safetensors"
    save_file(tensors, str(path), metadata={"format": "pt", "note": "fixture"})
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    index = {"file": path.name, "size": len(raw), "data_offset": 8 + n, "metadata": header["__metadata__"], "tensors": []}
    for name, t in tensors.items():
        h = header[name]
        index["tensors"].append(
            {
                "name": name,
                "dtype": h["dtype"],
                "shape": list(t.shape),
                "start": 8 + n + h["data_offsets"][0],
                "bytes": h["data_offsets"][1] - h["data_offsets"][0],
                "values": t.to(torch.float64).flatten().tolist(),
            }
        )
    (OUT / "small.safetensors.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"wrote {path} ({len(raw)} bytes)")


if __name__ == "__main__":
    main()
