"""Writes tests/fixtures/gguf/t5_names.json: every parameter of a small transformers T5EncoderModel
(gated-gelu, 3 blocks) with its shape, and the llama.cpp name gguf-py's own TensorNameMap gives it
(the table llama.cpp's convert_hf_to_gguf.py uses for arch t5encoder). The oracle of t5-names.ts.

Run: tools/export/.venv/bin/python tools/gguf-fixtures/make_t5_names.py
"""
import json
from pathlib import Path

import gguf
from transformers import T5Config, T5EncoderModel

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "gguf" / "t5_names.json"


def main() -> None:
    cfg = T5Config(d_model=64, d_ff=96, d_kv=8, num_heads=4, num_layers=3, vocab_size=100,
                   relative_attention_num_buckets=32, feed_forward_proj="gated-gelu", is_encoder_decoder=False)
    model = T5EncoderModel(cfg)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.T5ENCODER, cfg.num_layers)
    params = {}
    for name, t in model.state_dict().items():
        base = name.removesuffix(".weight")
        mapped = names.get_name(base)
        params[name] = {"shape": list(t.shape), "llamacpp": None if mapped is None else mapped + ".weight"}
    config = {k: getattr(cfg, k) for k in ("d_model", "d_ff", "d_kv", "num_heads", "num_layers", "vocab_size",
                                           "relative_attention_num_buckets", "feed_forward_proj")}
    OUT.write_text(json.dumps({"config": config, "gguf": gguf.__version__ if hasattr(gguf, "__version__") else None,
                               "params": params}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(params)} params)")


if __name__ == "__main__":
    main()
