import json
import sys
from pathlib import Path

import pytest

EXPORT_ROOT = Path(__file__).resolve().parents[1]
REPO = EXPORT_ROOT.parents[1]
if str(EXPORT_ROOT) not in sys.path:
    sys.path.insert(0, str(EXPORT_ROOT))

TINY = REPO / "public" / "models" / "tiny"
TINY_Q4 = REPO / "public" / "models" / "tiny-q4"
REF = REPO / "tests" / "fixtures" / "reference" / "tiny"


@pytest.fixture(scope="session")
def tiny_manifest():
    return json.loads((TINY / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def tiny_q4_manifest():
    return json.loads((TINY_Q4 / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def tiny_weights_dir(tmp_path_factory):
    """The seeded random weights the committed bundle was exported from, rebuilt (deterministic)."""
    from time_stream_export import models as M
    from time_stream_export import tokenizers_build as tb

    out = tmp_path_factory.mktemp("weights") / "random-tiny-seed0"
    tok = tmp_path_factory.mktemp("tok")
    tb.write_clip_tokenizer(tok / "clip")
    tb.write_t5_tokenizer(tok / "t5")
    M.save_weights_dir(M.build_random("tiny", 0), out, tok / "clip", tok / "t5")
    return out


@pytest.fixture(scope="session")
def tiny_components(tiny_weights_dir):
    from time_stream_export import models as M

    return M.load_weights_dir(tiny_weights_dir)


def ort_session(path: Path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
