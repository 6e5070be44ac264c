"""An independent judge fitted ONLY on the world's ground-truth pictures (never on a model's output): a small
CNN on 32x32 reductions with a subject head (6 classes) and one regression head per state parameter (rot, snow,
night in [0, 1]). Augmented with blur and noise so that soft model outputs are judged like clean drawings."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import world as W


class JudgeNet(nn.Module):
    def __init__(self):
        super().__init__()
        c = [3, 16, 32, 64, 64]
        self.convs = nn.ModuleList(nn.Conv2d(c[i], c[i + 1], 3, stride=2 if i else 1, padding=1) for i in range(4))
        self.subject = nn.Linear(64 * 4 * 4, len(W.SUBJECTS))
        self.params = nn.Linear(64 * 4 * 4, len(W.PARAMS))

    def forward(self, x):  # x: [B, 3, 64, 64] in [0, 1]
        x = F.avg_pool2d(x, 2)  # 32x32
        for conv in self.convs:
            x = F.relu(conv(x))
        x = F.max_pool2d(x, 2) if x.shape[-1] > 4 else x
        x = x.flatten(1)
        return self.subject(x), torch.sigmoid(self.params(x))


def to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0


def _augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    blur = torch.rand(x.shape[0], 1, 1, 1, generator=g) < 0.5
    xb = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    x = torch.where(blur, xb, x)
    return (x + 0.03 * torch.randn(x.shape, generator=g)).clamp(0, 1)


def ground_truth(seed: int, n: int):
    sc = W.scenes(seed, n)
    return W.draw_many(sc), np.array([s.subject for s in sc]), np.stack([s.params() for s in sc])


def fit(seed: int = 1, n_train: int = 12000, epochs: int = 10, batch: int = 64, log=print) -> JudgeNet:
    torch.manual_seed(seed)
    images, subj, params = ground_truth(seed, n_train)
    x, ys, yp = to_tensor(images), torch.from_numpy(subj), torch.from_numpy(params)
    net = JudgeNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(seed)
    steps = epochs * (n_train // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    for ep in range(epochs):
        perm = torch.randperm(n_train, generator=g)
        tot = 0.0
        for i in range(n_train // batch):
            idx = perm[i * batch:(i + 1) * batch]
            logits, p = net(_augment(x[idx], g))
            loss = F.cross_entropy(logits, ys[idx]) + 10 * F.mse_loss(p, yp[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach())
        log(f"judge epoch {ep + 1}/{epochs}: loss {tot / (n_train // batch):.4f}")
    return net.eval()


@torch.no_grad()
def judge(net: JudgeNet, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(subject index [N], params [N, 3]) for uint8 images [N, 64, 64, 3]."""
    logits, p = net(to_tensor(images))
    return logits.argmax(1).numpy(), p.numpy()


@dataclass
class Accuracy:
    subject: float  # fraction right
    mae: list[float]  # per parameter, mean absolute error
    n: int


def evaluate(net: JudgeNet, seed: int = 2, n: int = 2000) -> Accuracy:
    images, subj, params = ground_truth(seed, n)
    ps, pp = judge(net, images)
    return Accuracy(float((ps == subj).mean()), [float(v) for v in np.abs(pp - params).mean(0)], n)


def save(net: JudgeNet, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)


def load(path: Path) -> JudgeNet:
    net = JudgeNet()
    net.load_state_dict(torch.load(path, weights_only=True))
    return net.eval()


def export_onnx(net: JudgeNet, path: Path) -> None:
    """The judge as one self-contained ONNX file (opset 17, weights inside) for onnxruntime-web: input `images`
    [N, 3, 64, 64] float32 in [0, 1] (RGB, channels first), outputs `subject_logits` [N, 6] (W.SUBJECTS order) and
    `params` [N, 3] (W.PARAMS order, each in [0, 1])."""
    path.parent.mkdir(parents=True, exist_ok=True)
    x = torch.zeros(2, 3, W.SIZE, W.SIZE)
    torch.onnx.export(net.eval(), (x,), str(path), input_names=["images"], output_names=["subject_logits", "params"],
                      dynamic_axes={"images": {0: "N"}, "subject_logits": {0: "N"}, "params": {0: "N"}},
                      opset_version=17, dynamo=False)


def onnx_agreement(path: Path, net: JudgeNet | None, seed: int = 2, n: int = 500) -> dict:
    """The ONNX judge (onnxruntime, CPU) on `n` ground-truth pictures of other scenes than the fitted ones: its
    subject accuracy and state errors against the truth, and (with `net`) its largest distance to the torch judge."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    images, subj, params = ground_truth(seed, n)
    logits, p = sess.run(None, {"images": to_tensor(images).numpy()})
    out = {"n": n, "subject": float((logits.argmax(1) == subj).mean()),
           "mae": [float(v) for v in np.abs(p - params).mean(0)]}
    if net is not None:
        with torch.no_grad():
            tl, tp = net(to_tensor(images))
        out["max_diff_logits"] = float(np.abs(logits - tl.numpy()).max())
        out["max_diff_params"] = float(np.abs(p - tp.numpy()).max())
    return out
