"""Tokenizer sanity: the real CLIP BPE, the deterministic T5 stand-in, and the committed bundle's copies."""

import pytest
from transformers import AutoTokenizer

from conftest import TINY
from time_stream_export import tokenizers_build as tb


@pytest.fixture(scope="module")
def clip_tok():
    return AutoTokenizer.from_pretrained(TINY / "clip", local_files_only=True)


@pytest.fixture(scope="module")
def t5_tok():
    return AutoTokenizer.from_pretrained(TINY / "t5", local_files_only=True)


def test_clip_like_clip(clip_tok):
    assert clip_tok("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    ids = clip_tok("a photo of a cat", padding="max_length", max_length=77, truncation=True).input_ids
    assert len(ids) == 77 and ids[7:] == [49407] * 70
    assert clip_tok.pad_token_id == 49407 and clip_tok.model_max_length == 77
    long = clip_tok("tomato " * 200, padding="max_length", max_length=77, truncation=True).input_ids
    assert len(long) == 77 and long[0] == 49406 and long[-1] == 49407
    assert clip_tok("A  Photo of a CAT").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]  # lower-cased


def test_clip_vocab_is_clips():
    vocab, merges = tb.clip_vocab_and_merges()
    assert len(vocab) == 49408 and len(merges) == 48894
    assert vocab["<|startoftext|>"] == 49406 and vocab["<|endoftext|>"] == 49407


def test_t5_standin(t5_tok):
    assert len(t5_tok) == tb.T5_VOCAB_SIZE
    assert (t5_tok.pad_token_id, t5_tok.eos_token_id, t5_tok.unk_token_id) == (0, 1, 2)
    ids = t5_tok("a tomato", padding="max_length", max_length=512, truncation=True).input_ids
    assert len(ids) == 512 and ids[-1] == 0 and 1 in ids and ids.index(1) < 10
    assert t5_tok("토마토 🍅").input_ids[-1] == 1


def test_t5_training_is_deterministic(tmp_path):
    a = tb.train_t5_spm(tmp_path / "a.model")
    assert a.read_bytes() == tb.T5_SPM.read_bytes(), "the committed stand-in model would not be regenerated"


def test_regenerated_tokenizer_files_match_bundle(tmp_path):
    for name, fn in (("clip", tb.write_clip_tokenizer), ("t5", tb.write_t5_tokenizer)):
        out = tmp_path / name
        fn(out)
        tok = AutoTokenizer.from_pretrained(out, local_files_only=True)
        ref = AutoTokenizer.from_pretrained(TINY / name, local_files_only=True)
        for text in ("a photo of a cat", "토마토 🍅", "A house, USA suburb!"):
            assert tok(text).input_ids == ref(text).input_ids
