"""External-data sharding at a forced small limit."""

import numpy as np
import onnx
import pytest
import torch

from conftest import TINY, ort_session
from time_stream_export.export_onnx import image_ids, write_sharded


def test_small_shard_limit_roundtrip(tmp_path):
    limit = 64 * 1024
    model = onnx.load(str(TINY / "transformer.onnx"))  # external data loaded from the committed shards
    graph, shards = write_sharded(model, tmp_path, "transformer", limit)
    sizes = [s.stat().st_size for s in shards]
    print(f"\n{len(shards)} shards at limit {limit}: {sizes}")
    assert len(shards) > 1
    assert all(0 < n <= limit for n in sizes)
    locs = set()
    for t in onnx.load(str(graph), load_external_data=False).graph.initializer:
        if t.data_location != onnx.TensorProto.EXTERNAL:
            continue
        locs.add({e.key: e.value for e in t.external_data}["location"])
    assert locs == {s.name for s in shards}
    onnx.checker.check_model(str(graph))

    g = torch.Generator().manual_seed(0)
    inp = {
        "hidden_states": torch.randn(1, 16, 64, generator=g).numpy(),
        "encoder_hidden_states": torch.randn(1, 512, 32, generator=g).numpy(),
        "pooled_projections": torch.randn(1, 32, generator=g).numpy(),
        "timestep": np.array([0.5], np.float32),
        "img_ids": image_ids(4, 4).numpy(),
        "txt_ids": np.zeros((512, 3), np.float32),
    }
    a = ort_session(TINY / "transformer.onnx").run(None, inp)[0]
    b = ort_session(graph).run(None, inp)[0]
    assert np.array_equal(a, b)


def test_tensor_larger_than_limit_is_refused(tmp_path):
    model = onnx.load(str(TINY / "clip.onnx"))  # token embedding 49408x32 float32 = 6.3 MB
    with pytest.raises(ValueError, match="shard limit"):
        write_sharded(model, tmp_path, "clip", 64 * 1024)
