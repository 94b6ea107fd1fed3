"""`zoo perf science/pde`: our FNO against neuraloperator's at equal parameter count, training on Burgers.

Both train in the same plain PyTorch loop on the data the ``burgers_quick`` preset makes (1,000 functions at 256
points, batches of 20, Adam at the preset's learning rate, the task's relative L2 loss, fp32), so the only
difference is the model: the pair times seconds per epoch (goal: ours at least as fast), and the facts give the
test error each reaches in the same wall time. neuraloperator is a bench-only peer (``zoo-suite[bench]``); without
it the workload reports that and times nothing.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch
import torch.nn as nn
import yaml

from zoo import create_model
from zoo.models.fno import SpectralConv
from zoo.runtime.perf import Contender, Pair, Timed, Workload

from .data import PDEDataModule, relative_l2

PRESET = Path(__file__).parent / "configs" / "burgers_quick.yaml"
EQUAL_TIME_S, QUICK_EQUAL_TIME_S = 60.0, 10.0
SLICE_S = 2.0  # the equal-time training alternates slices of this length, so a neighbour's load falls on both
QUICK_EPOCH_FRACTION = 0.2  # a quick run() is this share of an epoch (about 1 s)


class Normalised(nn.Module):
    """A model between the training split's scalar statistics, as FieldTask wraps it: normalised input in,
    physical prediction out."""

    def __init__(self, model: nn.Module, spec: dict):
        super().__init__()
        self.model, self.spec = model, spec

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.spec
        return self.model((x - s["input_mean"]) / s["input_std"]) * s["target_std"] + s["target_mean"]


class Training:
    """One model in the plain loop both sides share: seeded random minibatches, Adam, relative L2."""

    def __init__(self, model: nn.Module, dm: PDEDataModule, lr: float, seed: int = 0):
        self.net = Normalised(model, dm.spec)
        self.x, self.y, self.test = dm.train_x, dm.train_y, (dm.test_x, dm.test_y)
        self.batch = dm.hparams.batch_size
        self.steps_per_epoch = math.ceil(len(self.x) / self.batch)
        self.opt = torch.optim.Adam(self.net.parameters(), lr)
        self.rng = torch.Generator().manual_seed(seed)
        self.batches: list[torch.Tensor] = []
        self.seconds = 0.0  # training wall time so far (the equal-time budget)
        self.steps = 0

    def step(self) -> None:
        if not self.batches:
            self.batches = list(torch.randperm(len(self.x), generator=self.rng).split(self.batch))
        idx = self.batches.pop()
        loss = relative_l2(self.net(self.x[idx]), self.y[idx]).mean()  # (B,) -> ()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.steps += 1

    def run(self, steps: int) -> Timed:
        """``steps`` training steps, timed; items are epochs."""
        self.net.train()
        start = time.perf_counter()
        for _ in range(steps):
            self.step()
        seconds = time.perf_counter() - start
        self.seconds += seconds
        return Timed(seconds=seconds, items=steps / self.steps_per_epoch)

    def train_for(self, seconds: float) -> None:
        """Steps until about ``seconds`` more wall time is spent."""
        self.net.train()
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            self.step()
        self.seconds += time.perf_counter() - start

    @torch.no_grad()
    def test_error(self) -> float:
        """Mean relative L2 over the test functions, at the training resolution."""
        self.net.eval()
        x, y = self.test
        return float(torch.cat([relative_l2(self.net(x[i:i + 50]), y[i:i + 50]) for i in range(0, len(x), 50)]).mean())


def side_by_side(a: Training, b: Training, seconds: float) -> None:
    """Train both for ``seconds`` of their own wall time each, in alternating slices (A B B A ...)."""
    order = [a, b, b, a]
    i = 0
    while a.seconds < seconds or b.seconds < seconds:
        side = order[i % 4]
        if side.seconds < seconds:
            side.train_for(min(SLICE_S, seconds - side.seconds))
        i += 1


# -- the two models -----------------------------------------------------------------------------------------
def preset() -> dict:
    """The burgers_quick preset, read as data: model, its arguments, learning rate, data arguments, seed."""
    cfg = yaml.safe_load(PRESET.read_text())
    return {"model": cfg["model"]["model"], "model_kwargs": dict(cfg["model"].get("model_kwargs") or {}),
            "lr": float(cfg["model"]["lr"]), "data": dict(cfg["data"]["init_args"]),
            "seed": int(cfg.get("seed_everything", 0))}


def ours(p: dict, spec: dict) -> nn.Module:
    torch.manual_seed(p["seed"])
    return create_model(p["model"], in_kind="field", in_channels=spec["in_channels"],
                        num_outputs=spec["num_outputs"], ndim=1, periodic=True, **p["model_kwargs"])


def peer(p: dict, spec: dict, width: int, modes: int, depth: int) -> nn.Module:
    """neuraloperator's FNO with our width, kept modes and depth (its n_modes counts both signs: 2 (m - 1) keeps
    m), and lifting and projection of one hidden layer of the width (like our lift and head); its defaults
    otherwise (channel MLP with soft gating, linear skips, grid embedding)."""
    from neuralop.models import FNO

    torch.manual_seed(p["seed"])
    return FNO(n_modes=(2 * (modes - 1),), in_channels=spec["in_channels"], out_channels=spec["num_outputs"],
               hidden_channels=width, n_layers=depth, lifting_channel_ratio=1, projection_channel_ratio=1)


def real_parameters(model: nn.Module) -> int:
    """Parameter count in real numbers (a complex weight counts twice, as ours stores (re, im) pairs)."""
    return sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters())


# -- model FLOPs ----------------------------------------------------------------------------------------------
def forward_flops(model: nn.Module, n: int) -> float:
    """Model FLOPs of one sample's forward pass on ``n`` points (multiply-add = 2): every pointwise convolution
    (2 C_in C_out n), and per spectral layer an FFT of each input and each output channel (counted as
    5 n log2 n) and the complex product on the kept modes (8 C_in C_out per mode). Activations, norms and
    gating are left out; the same rule counts both models, whatever algorithm runs the transforms."""
    from neuralop.layers.spectral_convolution import SpectralConv as NeuralopSpectral

    fft = 5 * n * math.log2(n)
    total = 0.0
    for m in model.modules():
        if isinstance(m, nn.Conv1d) and m.kernel_size == (1,):
            total += 2 * m.in_channels * m.out_channels * n
        elif isinstance(m, SpectralConv):
            c_in, c_out = m.weight.shape[1:3]
            total += (c_in + c_out) * fft + 8 * c_in * c_out * min(m.modes, n // 2 + 1)
        elif isinstance(m, NeuralopSpectral):
            kept = min(math.prod(m.n_modes), n // 2 + 1)
            total += (m.in_channels + m.out_channels) * fft + 8 * m.in_channels * m.out_channels * kept
    return total


def epoch_flops(model: nn.Module, n: int, samples: int) -> float:
    """One training epoch: forward and backward, about 3x the forward."""
    return 3 * forward_flops(model, n) * samples


# -- the workload -------------------------------------------------------------------------------------------
def workloads(quick: bool = False) -> list[Workload]:
    """One workload: seconds per training epoch of our FNO and neuraloperator's, and their test error after the
    same training time."""
    p = preset()
    dm = PDEDataModule(**p["data"])
    dm.setup()
    spec, n, samples = dm.spec, dm.hparams.resolution, len(dm.train_x)
    facts: dict = {
        "data": f"{p['data']['pde']} ({PRESET.name}): {samples} training and {len(dm.test_x)} test functions at "
                f"{n} points, batches of {dm.hparams.batch_size}",
        "loop": f"the same plain PyTorch loop for both: Adam lr {p['lr']:g}, relative L2 loss, fp32, no schedule",
        "threads": torch.get_num_threads()}
    try:
        import neuralop
    except ImportError:
        facts["neuraloperator"] = "not installed (pip install zoo-suite[bench]): nothing timed"
        return [Workload(name="FNO training on Burgers", pairs=[], facts=facts)]
    kw = p["model_kwargs"]
    a = Training(ours(p, spec), dm, p["lr"], p["seed"])
    b = Training(peer(p, spec, kw["width"], kw["modes"], kw["depth"]), dm, p["lr"], p["seed"])
    counts = {"ours": real_parameters(a.net), "peer": real_parameters(b.net)}
    facts["models"] = {"ours": f"zoo {p['model']} {kw}", "peer": f"neuraloperator {neuralop.__version__} FNO, "
                       f"hidden {kw['width']}, {kw['modes']} modes kept, {kw['depth']} layers, lifting and "
                       "projection ratio 1"}
    facts["parameters"] = {**counts, "peer_over_ours": round(counts["peer"] / counts["ours"], 3),
                           "counted": "real numbers (complex weights count twice)"}
    seconds = QUICK_EQUAL_TIME_S if quick else EQUAL_TIME_S
    side_by_side(a, b, seconds)
    facts["equal_time"] = {"seconds": seconds, "test_rel_l2": {"ours": a.test_error(), "peer": b.test_error()},
                           "epochs": {"ours": round(a.steps / a.steps_per_epoch, 2),
                                      "peer": round(b.steps / b.steps_per_epoch, 2)}}
    flops = {"ours": epoch_flops(a.net, n, samples), "peer": epoch_flops(b.net, n, samples)}
    facts["flops_per_epoch"] = {**{k: f"{v:.3g}" for k, v in flops.items()},
                                "rule": "3x forward; FFT 5 n log2 n per channel and transform, 8 per complex "
                                        "multiply-add on the kept modes, 2 C_in C_out n per pointwise conv"}
    steps = round(a.steps_per_epoch * (QUICK_EPOCH_FRACTION if quick else 1.0))
    pair = Pair(name="FNO training epoch vs neuraloperator FNO", unit="epochs", goal=1.0,
                ours=Contender(f"zoo {p['model']}", lambda: a.run(steps), flops["ours"], "fp32"),
                peer=Contender("neuraloperator FNO", lambda: b.run(steps), flops["peer"], "fp32"))
    return [Workload(name=f"FNO training on Burgers ({n} points)", pairs=[pair], facts=facts)]
