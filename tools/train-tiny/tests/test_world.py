import random

import numpy as np

from train_tiny import world as W


def test_same_seed_same_pictures_and_captions():
    a, b = W.scenes(5, 20), W.scenes(5, 20)
    assert a == b
    assert np.array_equal(W.draw_many(a), W.draw_many(b))
    ca = [W.caption(W.SUBJECTS[s.subject], W.state_words(s, random.Random(i)), None) for i, s in enumerate(a)]
    cb = [W.caption(W.SUBJECTS[s.subject], W.state_words(s, random.Random(i)), None) for i, s in enumerate(b)]
    assert ca == cb


def test_different_seed_different_pictures():
    assert not np.array_equal(W.draw_many(W.scenes(5, 8)), W.draw_many(W.scenes(6, 8)))


def test_each_state_parameter_changes_the_picture_a_lot():
    for subject in range(len(W.SUBJECTS)):
        for name in W.PARAMS:
            lo = dict(subject=subject, rot=0.0, snow=0.0, night=0.0, seed=3)
            hi = dict(lo, **{name: 1.0})
            d = np.abs(W.draw(W.Scene(**lo)).astype(float) - W.draw(W.Scene(**hi))).max(-1)
            changed = d > 30  # of 255
            # rot changes the subject (about a tenth of the picture), snow the ground and a cap, night everything
            assert changed.mean() >= 0.08 and d[changed].mean() >= 70, (W.SUBJECTS[subject], name)


def test_captions_in_the_app_forms_and_t5_never_sees_a_state():
    assert W.caption("tomato", [], None) == "a tomato"
    assert W.caption("tomato", ["rotten"], None) == "a rotten tomato"
    assert W.caption("tomato", ["fresh"], "photo") == "a photo of a fresh tomato"
    assert W.strip_states("a painting of a super fresh night tomato") == "a painting of a tomato"
    rng = random.Random(0)
    for s in W.scenes(9, 200):
        cap = W.caption(W.SUBJECTS[s.subject], W.state_words(s, rng), rng.choice([None, "sketch"]))
        t5 = W.strip_states(cap)
        assert not any(f" {w} " in f" {t5} " for w in W.STATE_WORDS), (cap, t5)
