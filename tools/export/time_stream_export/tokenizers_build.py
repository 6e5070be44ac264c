"""Offline tokenizer files for the bundles.

CLIP: the real CLIP BPE vocabulary, rebuilt from open_clip's ``bpe_simple_vocab_16e6.txt.gz`` (cached in
``tools/export/assets/``), the same way CLIP's ``SimpleTokenizer`` builds it: 256 byte characters, the same with
``</w>``, every merge joined, then ``<|startoftext|>`` = 49406 and ``<|endoftext|>`` = 49407.

T5: no real ``spiece.model`` is reachable offline, so a small SentencePiece unigram model is trained
deterministically on generated text (``<pad>`` = 0, ``</s>`` = 1, ``<unk>`` = 2, as T5). It is a stand-in: the
tiny bundle's T5 vocabulary is NOT the real T5 vocabulary.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import shutil
import tempfile
from pathlib import Path

from .data import MEDIUMS, SUBJECTS

ASSETS = Path(__file__).resolve().parent.parent / "assets"
CLIP_BPE = ASSETS / "bpe_simple_vocab_16e6.txt.gz"
T5_SPM = ASSETS / "t5-standin-spiece.model"

CLIP_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
T5_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
T5_VOCAB_SIZE = 1000


def bytes_to_unicode() -> dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def clip_vocab_and_merges(bpe_gz: Path = CLIP_BPE) -> tuple[dict[str, int], list[str]]:
    if not bpe_gz.is_file():
        raise FileNotFoundError(
            f"{bpe_gz} is missing. Get it offline-once with: pip download open-clip-torch==3.3.0 --no-deps, "
            "then unzip open_clip/bpe_simple_vocab_16e6.txt.gz from the wheel into tools/export/assets/."
        )
    lines = gzip.open(bpe_gz).read().decode("utf-8").split("\n")
    merges = lines[1 : 49152 - 256 - 2 + 1]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    for m in merges:
        vocab.append("".join(m.split()))
    vocab.extend(["<|startoftext|>", "<|endoftext|>"])
    return {tok: i for i, tok in enumerate(vocab)}, merges


def write_clip_tokenizer(out_dir: Path) -> list[str]:
    """Write tokenizer.json, tokenizer_config.json, special_tokens_map.json into out_dir."""
    from transformers import CLIPTokenizer

    vocab, merges = clip_vocab_and_merges()
    out_dir.mkdir(parents=True, exist_ok=True)
    tok = CLIPTokenizer(
        vocab=vocab,
        merges=[tuple(m.split()) for m in merges],
        bos_token="<|startoftext|>",
        eos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        model_max_length=77,
    )
    with tempfile.TemporaryDirectory() as td:
        tok.save_pretrained(td)
        for name in CLIP_FILES:
            src = Path(td) / name
            if src.exists():
                shutil.copyfile(src, out_dir / name)
    _normalise_json_files(out_dir, CLIP_FILES)
    return [n for n in CLIP_FILES if (out_dir / n).exists()]


# ---------------------------------------------------------------- T5 stand-in

_ENGLISH = """
The quick brown fox jumps over the lazy dog. A photo of a cat sitting on a wooden table in the morning light.
Winter turns into summer and the trees grow green leaves again. A house in the suburbs with a red door and a garden.
A tomato on a plate, rotten on one side and super fresh on the other. The city at night is full of lights and cars.
She painted a portrait of her grandmother with soft colours. An old bridge crosses the river near the castle.
Children play in the park while their parents drink coffee. The mountain is covered with snow in December.
A dog in the park chasing a ball. Europe and the USA have different kinds of houses and streets.
A bowl of soup, fresh bread and a slice of cake on the kitchen table. The ocean waves break on the sandy beach.
Clouds move slowly across the blue sky at sunset. A small boat floats on the quiet lake in the forest.
High quality, detailed, sharp focus, cinematic lighting, realistic, beautiful, vibrant colours, soft shadows.
Young and old, day and night, happy and sad, spring and autumn, morning and evening, hot and cold, new and old.
"""

_ADJECTIVES = [
    "winter", "summer", "spring", "autumn", "old", "young", "new", "rotten", "fresh", "super fresh", "happy",
    "sad", "day", "night", "morning", "evening", "hot", "cold", "wet", "dry", "big", "small", "red", "green",
    "blue", "yellow", "black", "white", "USA suburb", "Europe", "ancient", "modern", "futuristic", "broken",
]



_WORDS = """
time stream river light shadow colour color paint brush canvas frame video slider direction state start finish
apple banana orange lemon cherry grape peach pear plum melon berry tomato potato carrot onion garlic pepper salad
rice pasta pizza burger sandwich cheese butter milk egg honey sugar salt water juice tea wine beer ice cream
morning noon afternoon evening night midnight today tomorrow yesterday week month year season century decade
january february march april may june july august september october november december monday friday sunday
red orange yellow green blue purple pink brown grey gray black white golden silver bright dark pale deep
big small large tiny huge long short tall wide narrow thick thin heavy light soft hard smooth rough sharp
hot warm cool cold frozen wet dry clean dirty empty full open closed quiet loud fast slow early late
happy sad angry calm tired excited scared brave gentle kind proud lonely curious friendly serious funny
beautiful ugly pretty handsome elegant simple complex strange normal famous rare common ancient modern
street road highway bridge tunnel station airport harbour harbor market shop store school hospital church
kitchen bedroom bathroom garden window door roof wall floor table chair bed sofa lamp mirror clock shelf
forest jungle desert island valley hill mountain volcano glacier cave cliff field meadow farm village town
rain snow wind storm thunder lightning fog mist sun moon star sky cloud rainbow sunrise sunset weather
walk run jump swim fly climb dance sing read write draw cook eat drink sleep dream play work build grow
look see watch listen hear speak talk think know learn teach give take make move turn change become
mother father sister brother family friend teacher student doctor artist farmer soldier king queen prince
princess knight wizard robot alien monster dragon ghost angel hero pirate ninja astronaut scientist chef
photo picture image painting drawing sketch render style detailed realistic cinematic dramatic vintage
retro futuristic cyberpunk steampunk fantasy minimal abstract surreal impressionist renaissance baroque
the a an and or but with without of in on at by for from to into over under between through during after
before above below near far inside outside around behind beside across along against toward within
is are was were be been being have has had do does did will would can could should might must shall
this that these those there here where when why how what which who whom whose all some many few every
one two three four five six seven eight nine ten hundred thousand first second third last next other
"""


def t5_training_text() -> str:
    rng = random.Random(1234)
    lines = [l.strip() for l in _ENGLISH.strip().splitlines() if l.strip()]
    for _ in range(3000):
        m = rng.choice(MEDIUMS)
        s = rng.choice(SUBJECTS)
        a = rng.choice(_ADJECTIVES)
        lines.append(f"a {m} of a {a} {s}")
    for m in MEDIUMS:
        for s in SUBJECTS:
            lines.append(f"a {m} of a {s}")
    words = _WORDS.split()
    for _ in range(4000):
        n = rng.randint(3, 10)
        sent = " ".join(rng.choice(words) for _ in range(n))
        r = rng.random()
        if r < 0.3:
            sent = sent.capitalize() + "."
        elif r < 0.4:
            sent = sent.title() + "!"
        elif r < 0.45:
            sent = sent.upper() + "?"
        elif r < 0.6:
            sent = sent + ", " + str(rng.randint(0, 2024)) + ";"
        lines.append(sent)
    lines.append("0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz .,;:!?'\"()[]{}-_+=*/%&#@$")
    lines.extend(["a tomato", "a dog in the park", "a house", "A Tomato.", "TOMATO!"])
    return "\n".join(lines) + "\n"


def train_t5_spm(out_model: Path = T5_SPM, vocab_size: int = T5_VOCAB_SIZE) -> Path:
    """Train the stand-in SentencePiece unigram model deterministically (single thread, fixed seed sentence order)."""
    import sentencepiece as spm

    text = t5_training_text()
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text.splitlines()),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        pad_piece="<pad>",
        eos_piece="</s>",
        unk_piece="<unk>",
        character_coverage=1.0,
        byte_fallback=False,
        num_threads=1,
        shuffle_input_sentence=False,
        input_sentence_size=0,
        seed_sentencepiece_size=100000,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    out_model.parent.mkdir(parents=True, exist_ok=True)
    out_model.write_bytes(model.getvalue())
    return out_model


def write_t5_tokenizer(out_dir: Path, spm_model: Path = T5_SPM) -> list[str]:
    from transformers import T5TokenizerFast

    if not spm_model.is_file():
        train_t5_spm(spm_model)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as td:
        tok = _t5_from_spm(spm_model)
        tok.save_pretrained(td)
        for name in T5_FILES:
            src = Path(td) / name
            if src.exists():
                shutil.copyfile(src, out_dir / name)
    _normalise_json_files(out_dir, T5_FILES)
    return [n for n in T5_FILES if (out_dir / n).exists()]


def _t5_from_spm(spm_model: Path):
    """Convert the SentencePiece model with transformers' own converter (as a hub spiece.model would be)."""
    from transformers import T5TokenizerFast

    with tempfile.TemporaryDirectory() as td:
        shutil.copyfile(spm_model, Path(td) / "spiece.model")
        cfg = {"tokenizer_class": "T5Tokenizer", "extra_ids": 0, "model_max_length": 512, "legacy": True,
               "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}
        (Path(td) / "tokenizer_config.json").write_text(json.dumps(cfg))
        return T5TokenizerFast.from_pretrained(td)


def _normalise_json_files(out_dir: Path, names: list[str]) -> None:
    """Re-serialise JSON deterministically (sorted keys where order does not matter is NOT safe for tokenizer.json,
    so only the small config files are re-sorted; tokenizer.json is kept as written)."""
    for name in names:
        p = out_dir / name
        if not p.exists() or name == "tokenizer.json":
            continue
        obj = json.loads(p.read_text(encoding="utf-8"))
        p.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
