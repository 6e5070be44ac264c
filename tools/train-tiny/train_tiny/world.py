"""A procedural world: six subjects drawn as simple shapes, three state pairs, each a continuous parameter in
[0, 1] with a large visible effect, and captions in the forms the app sees. Deterministic from a seed.

Parameters of one picture: subject, rot (0 fresh .. 1 rotten: the body turns brown and gets dark spots),
snow (0 summer .. 1 winter: the ground and the top of the subject turn white), night (0 day .. 1 night: the sky
darkens, stars appear, everything dims), plus nuisance: position, size, colour jitter, horizon height.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

SIZE = 64
SUPER = 2  # drawn at 2x and reduced (smooth edges)
SUBJECTS = ["tomato", "house", "tree", "car", "fish", "flower"]
# state pairs: (parameter, words for the low end, words for the high end)
PAIRS = [
    ("rot", ["fresh", "super fresh"], ["rotten"]),
    ("snow", ["summer"], ["winter"]),
    ("night", ["day"], ["night"]),
]
PARAMS = [p for p, _, _ in PAIRS]
STATE_WORDS = sorted({w for _, lo, hi in PAIRS for w in lo + hi})
PHOTO_MEDIUMS = ["photo", "picture", "image"]  # besides the Space's 19 MEDIUMS; no medium changes the drawing


@dataclass
class Scene:
    subject: int
    rot: float
    snow: float
    night: float
    seed: int  # nuisance (position, size, jitter)

    def params(self) -> np.ndarray:
        return np.array([self.rot, self.snow, self.night], dtype=np.float32)


def sample_param(rng: random.Random) -> float:
    """30 % near the low end, 30 % near the high end, 40 % anywhere: both ends are common, the middle is seen."""
    u = rng.random()
    if u < 0.3:
        return rng.uniform(0.0, 0.15)
    if u < 0.6:
        return rng.uniform(0.85, 1.0)
    return rng.uniform(0.0, 1.0)


def sample_scene(rng: random.Random) -> Scene:
    return Scene(rng.randrange(len(SUBJECTS)), sample_param(rng), sample_param(rng), sample_param(rng),
                 rng.randrange(2**31))


def scenes(seed: int, n: int) -> list[Scene]:
    rng = random.Random(seed)
    return [sample_scene(rng) for _ in range(n)]


def _mix(a, b, t: float):
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))


def _jitter(rng: random.Random, c, amount: int = 18):
    return tuple(max(0, min(255, v + rng.randint(-amount, amount))) for v in c)


BROWN = (96, 70, 34)


def draw(scene: Scene) -> np.ndarray:
    """uint8 [64, 64, 3]."""
    rng = random.Random(scene.seed)
    S = SIZE * SUPER
    k = SUPER
    horizon = rng.randint(38, 46) * k
    day_sky, night_sky = _jitter(rng, (128, 186, 236), 12), (14, 18, 52)
    sky = _mix(day_sky, night_sky, scene.night)
    ground = _mix(_jitter(rng, (78, 150, 58), 14), (236, 240, 246), scene.snow)
    img = Image.new("RGB", (S, S), sky)
    d = ImageDraw.Draw(img)
    d.rectangle([0, horizon, S, S], fill=ground)
    # stars fade in with the night
    star_a = max(0.0, scene.night - 0.4) / 0.6
    for _ in range(7):
        x, y = rng.randrange(S), rng.randrange(horizon - 2 * k)
        d.rectangle([x, y, x + k, y + k], fill=_mix(sky, (255, 255, 230), star_a))

    cx = S // 2 + rng.randint(-6, 6) * k
    sc = rng.uniform(0.85, 1.15) * k
    mask = Image.new("L", (S, S), 0)
    md = ImageDraw.Draw(mask)
    body = _body(scene.subject, rng)
    body = _mix(body, _jitter(rng, BROWN, 8), 0.85 * scene.rot)
    _shape(d, md, scene.subject, cx, horizon, sc, body, rng, scene.rot)
    # rot spots: each spot appears when rot passes its own threshold
    m = np.asarray(mask) > 0
    ys, xs = np.nonzero(m)
    if len(xs):
        for i in range(9):
            j = rng.randrange(len(xs))
            thr = 0.15 + 0.8 * i / 9
            if scene.rot > thr:
                r = 2 * k
                d.ellipse([xs[j] - r, ys[j] - r, xs[j] + r, ys[j] + r], fill=(40, 28, 14))
    a = np.asarray(img).astype(np.float32)
    # snow cap: the top rows of the subject, per column, turn white
    cap = int(round(scene.snow * 6 * k))
    if cap > 0:
        first = np.where(m.any(0), m.argmax(0), S)
        rows = np.arange(S)[:, None]
        capmask = m & (rows >= first[None, :]) & (rows < first[None, :] + cap)
        a[capmask] = 0.15 * a[capmask] + 0.85 * np.array([240, 244, 250], np.float32)
    # everything dims at night
    a *= 1.0 - 0.55 * scene.night
    img = Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8)).resize((SIZE, SIZE), Image.BOX)
    return np.asarray(img)


def _body(subject: int, rng: random.Random):
    return _jitter(rng, [(205, 32, 28), (214, 170, 110), (46, 140, 46), (40, 80, 200), (240, 130, 20),
                         (230, 80, 170)][subject])


def _shape(d, md, subject, cx, ground_y, sc, body, rng, rot):
    """Draw the subject standing on the ground line (fish and flower near it); its body pixels go into md."""

    def both(fn, box, fill):
        getattr(d, fn)(box, fill=fill)
        getattr(md, fn)(box, fill=255)

    name = SUBJECTS[subject]
    if name == "tomato":
        r = 13 * sc
        cy = ground_y - r + 2 * sc
        both("ellipse", [cx - r, cy - r * 0.9, cx + r, cy + r * 0.9], body)
        leaf = _mix((30, 130, 30), BROWN, rot)
        d.polygon([(cx, cy - r * 0.9 - 4 * sc), (cx - 6 * sc, cy - r * 0.7), (cx + 6 * sc, cy - r * 0.7)], fill=leaf)
    elif name == "house":
        w, h = 16 * sc, 14 * sc
        both("rectangle", [cx - w, ground_y - h * 1.4, cx + w, ground_y], body)
        roof = _mix(_jitter(rng, (150, 40, 30)), BROWN, 0.85 * rot)
        both("polygon", [(cx - w - 3 * sc, ground_y - h * 1.4), (cx + w + 3 * sc, ground_y - h * 1.4),
                         (cx, ground_y - h * 2.6)], roof)
        d.rectangle([cx - 3 * sc, ground_y - 9 * sc, cx + 3 * sc, ground_y], fill=(70, 40, 20))
        d.rectangle([cx + 7 * sc, ground_y - 14 * sc, cx + 12 * sc, ground_y - 9 * sc], fill=(250, 230, 120))
    elif name == "tree":
        d.rectangle([cx - 3 * sc, ground_y - 16 * sc, cx + 3 * sc, ground_y], fill=(100, 64, 30))
        r = 14 * sc
        cy = ground_y - 16 * sc - r * 0.8
        both("ellipse", [cx - r, cy - r, cx + r, cy + r], body)
    elif name == "car":
        y0 = ground_y - 4 * sc
        both("rectangle", [cx - 20 * sc, y0 - 10 * sc, cx + 20 * sc, y0], body)
        both("polygon", [(cx - 11 * sc, y0 - 10 * sc), (cx - 7 * sc, y0 - 18 * sc), (cx + 8 * sc, y0 - 18 * sc),
                         (cx + 12 * sc, y0 - 10 * sc)], body)
        d.rectangle([cx - 6 * sc, y0 - 16 * sc, cx + 7 * sc, y0 - 11 * sc], fill=(180, 220, 240))
        for wx in (-12, 12):
            d.ellipse([cx + (wx - 5) * sc, y0 - 5 * sc, cx + (wx + 5) * sc, y0 + 5 * sc], fill=(20, 20, 20))
    elif name == "fish":
        cy = ground_y - 16 * sc
        both("ellipse", [cx - 16 * sc, cy - 9 * sc, cx + 12 * sc, cy + 9 * sc], body)
        both("polygon", [(cx + 10 * sc, cy), (cx + 22 * sc, cy - 9 * sc), (cx + 22 * sc, cy + 9 * sc)], body)
        d.ellipse([cx - 10 * sc, cy - 4 * sc, cx - 6 * sc, cy], fill=(10, 10, 10))
    elif name == "flower":
        d.rectangle([cx - 1.5 * sc, ground_y - 22 * sc, cx + 1.5 * sc, ground_y], fill=(40, 120, 40))
        cy = ground_y - 26 * sc
        for i in range(6):
            ang = i * np.pi / 3
            px, py = cx + 8 * sc * np.cos(ang), cy + 8 * sc * np.sin(ang)
            both("ellipse", [px - 5.5 * sc, py - 5.5 * sc, px + 5.5 * sc, py + 5.5 * sc], body)
        d.ellipse([cx - 4.5 * sc, cy - 4.5 * sc, cx + 4.5 * sc, cy + 4.5 * sc], fill=(250, 210, 40))


def draw_many(sc: list[Scene]) -> np.ndarray:
    return np.stack([draw(s) for s in sc])


# ------------------------------------------------------------------------------------------- captions


def state_words(scene: Scene, rng: random.Random, p_mention: float = 0.85) -> list[str]:
    """The state words a caption may carry: a pair's low word below 0.3, its high word above 0.7, each mentioned
    with probability p_mention, in random order."""
    out = []
    for name, lo, hi in PAIRS:
        v = getattr(scene, name)
        if v < 0.3 and rng.random() < p_mention:
            out.append(rng.choice(lo))
        elif v > 0.7 and rng.random() < p_mention:
            out.append(rng.choice(hi))
    rng.shuffle(out)
    return out


def caption(subject: str, states: list[str], medium: str | None) -> str:
    """"a tomato", "a rotten tomato", "a photo of a fresh tomato", the Space's "a {medium} of a {state} {subject}"."""
    noun = " ".join(states + [subject])
    return f"a {medium} of a {noun}" if medium else f"a {noun}"


def strip_states(text: str) -> str:
    """The caption T5 gets in training: the same words without any state word (states reach the model only
    through CLIP's pooled vector)."""
    for w in sorted(STATE_WORDS, key=len, reverse=True):
        text = text.replace(f" {w} ", " ")
    return text


def save_grid(images: np.ndarray, path, cols: int = 8) -> None:
    n = len(images)
    rows = (n + cols - 1) // cols
    grid = np.zeros((rows * SIZE, cols * SIZE, 3), np.uint8)
    for i, im in enumerate(images):
        grid[(i // cols) * SIZE:(i // cols + 1) * SIZE, (i % cols) * SIZE:(i % cols + 1) * SIZE] = im
    Image.fromarray(grid).save(path)
