import torch

from train_tiny import judge as J


def test_judge_fitted_on_ground_truth_is_accurate_on_held_out_ground_truth():
    torch.set_num_threads(1)
    net = J.fit(seed=1, n_train=3000, epochs=5, log=lambda s: None)
    acc = J.evaluate(net, seed=2, n=600)  # other scenes than the fitted ones
    assert acc.subject >= 0.95, acc
    assert max(acc.mae) <= 0.12, acc  # each state parameter within 0.12 of the truth on average (range 0..1)
