import torch

from train_tiny import judge as J


def test_judge_fitted_on_ground_truth_is_accurate_on_held_out_ground_truth():
    torch.set_num_threads(1)
    net = J.fit(seed=1, n_train=3000, epochs=5, log=lambda s: None)
    acc = J.evaluate(net, seed=2, n=600)  # other scenes than the fitted ones
    assert acc.subject >= 0.95, acc
    assert max(acc.mae) <= 0.12, acc  # each state parameter within 0.12 of the truth on average (range 0..1)


def test_committed_onnx_judge_judges_ground_truth():
    """tests/fixtures/world/judge.onnx (train_tiny judge-onnx, used by tests/e2e/world.spec.ts) on ground-truth
    pictures of scenes it was not fitted on."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "world" / "judge.onnx"
    acc = J.onnx_agreement(path, None, seed=3, n=300)
    assert acc["subject"] >= 0.97, acc
    assert max(acc["mae"]) <= 0.08, acc
