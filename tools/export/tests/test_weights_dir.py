"""A missing or partial weights folder is refused with a message naming what is missing."""

import shutil

import pytest

from time_stream_export import models as M
from time_stream_export.__main__ import main


def test_missing_folder(tmp_path):
    with pytest.raises(M.WeightsError, match="does not exist"):
        M.check_weights_dir(tmp_path / "nope")


def test_empty_folder_lists_everything(tmp_path):
    with pytest.raises(M.WeightsError) as e:
        M.check_weights_dir(tmp_path)
    msg = str(e.value)
    for need in ("text_encoder/config.json", "text_encoder_2/config.json", "transformer/config.json",
                 "transformer/diffusion_pytorch_model.safetensors", "taef1/config.json", "tokenizer/", "tokenizer_2/"):
        assert need in msg, (need, msg)


def test_missing_config(tiny_weights_dir, tmp_path):
    d = tmp_path / "w"
    shutil.copytree(tiny_weights_dir, d)
    (d / "transformer" / "config.json").unlink()
    with pytest.raises(M.WeightsError) as e:
        M.check_weights_dir(d)
    assert "transformer/config.json" in str(e.value)
    assert "text_encoder" not in str(e.value)


def test_truncated_safetensors(tiny_weights_dir, tmp_path, capsys):
    d = tmp_path / "w"
    shutil.copytree(tiny_weights_dir, d)
    p = d / "text_encoder" / "model.safetensors"
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - 1000])
    with pytest.raises(M.WeightsError) as e:
        M.check_weights_dir(d)
    assert "text_encoder/model.safetensors: truncated" in str(e.value)
    # the CLI refuses with the same message and exit code 2, before exporting anything
    rc = main(["--weights", str(d), "--out", str(tmp_path / "out")])
    assert rc == 2
    assert "text_encoder/model.safetensors: truncated" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_sharded_index_missing_shard(tiny_weights_dir, tmp_path):
    import json

    d = tmp_path / "w"
    shutil.copytree(tiny_weights_dir, d)
    t = d / "transformer"
    (t / "diffusion_pytorch_model.safetensors").rename(t / "diffusion_pytorch_model-00001-of-00002.safetensors")
    (t / "diffusion_pytorch_model.safetensors.index.json").write_text(json.dumps({"weight_map": {
        "a": "diffusion_pytorch_model-00001-of-00002.safetensors",
        "b": "diffusion_pytorch_model-00002-of-00002.safetensors"}}))
    with pytest.raises(M.WeightsError) as e:
        M.check_weights_dir(d)
    assert "transformer/diffusion_pytorch_model-00002-of-00002.safetensors" in str(e.value)


def test_vae_must_be_taef1(tiny_weights_dir, tmp_path):
    import json

    d = tmp_path / "w"
    shutil.copytree(tiny_weights_dir, d)
    cfg = json.loads((d / "vae" / "config.json").read_text())
    cfg["_class_name"] = "AutoencoderKL"
    (d / "vae" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(M.WeightsError, match="taef1"):
        M.check_weights_dir(d)


def test_complete_folder_loads(tiny_components):
    assert type(tiny_components.transformer).__name__ == "FluxTransformer2DModel"
    assert type(tiny_components.decoder).__name__ == "AutoencoderTiny"


def test_fp16_refused(tmp_path, capsys):
    rc = main(["--tiny", "--fp16", "--out", str(tmp_path / "x")])
    assert rc == 2 and "not implemented" in capsys.readouterr().err


def test_size_options_are_checked_before_anything_is_read(tmp_path, capsys):
    # --default-size / --size-limits write the manifest's defaults and limits (the built-in world model: 64, 32..128)
    rc = main(["--weights", str(tmp_path / "nope"), "--default-size", "256", "--size-limits", "32", "128",
               "--out", str(tmp_path / "out")])
    assert rc == 2
    assert "default size 256 is outside the limits" in capsys.readouterr().err
    rc = main(["--weights", str(tmp_path / "nope"), "--size-limits", "128", "32", "--out", str(tmp_path / "out")])
    assert rc == 2
    assert "--size-limits MIN MAX" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
