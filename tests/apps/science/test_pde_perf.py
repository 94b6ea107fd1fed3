"""The PDE perf workload's parts on tiny budgets: the FLOP rule, the peer's size and modes, the shared training
loop, and the workload without neuraloperator installed."""

import math
import sys

import pytest
import torch

from apps.science.pde import perf
from apps.science.pde.data import PDEDataModule
from zoo.models.fno import FNO


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "cache"))


def test_forward_flops_counts_convs_transforms_and_modes():
    pytest.importorskip("neuralop")
    model = FNO(ndim=1, depth=1, width=4, modes=3, coordinates=True)  # lift 2->4, one layer, head 4->64->1
    n = 32
    fft = 5 * n * math.log2(n)
    expected = 2 * 2 * 4 * n + (4 * 4 * 2 * n + (4 + 4) * fft + 8 * 4 * 4 * 3) + 2 * 4 * 64 * n + 2 * 64 * 1 * n
    assert perf.forward_flops(model, n) == pytest.approx(expected)
    assert perf.epoch_flops(model, n, 10) == pytest.approx(30 * expected)


def test_the_peer_keeps_our_modes_at_an_equal_parameter_count():
    pytest.importorskip("neuralop")
    p = perf.preset()
    spec = {"in_channels": 1, "num_outputs": 1}
    kw = p["model_kwargs"]
    ours, peer = perf.ours(p, spec), perf.peer(p, spec, kw["width"], kw["modes"], kw["depth"])
    assert [c.n_modes for c in peer.fno_blocks.convs] == [[kw["modes"]]] * kw["depth"]
    assert abs(perf.real_parameters(peer) / perf.real_parameters(ours) - 1) < 0.05
    x = torch.randn(2, 1, 64)
    assert ours(x).shape == peer(x).shape == x.shape


def test_the_shared_loop_times_epochs_and_shares_wall_time():
    dm = PDEDataModule(n_train=16, n_val=2, n_test=4, resolution=32, stored_resolution=64, batch_size=4)
    dm.setup()
    a, b = (perf.Training(FNO(ndim=1, depth=1, width=4, modes=3), dm, 1e-3) for _ in range(2))
    timed = a.run(2)
    assert timed.items == 0.5 and timed.seconds > 0 and a.steps == 2
    perf.side_by_side(a, b, 0.2)
    assert a.seconds >= 0.2 and b.seconds >= 0.2
    assert 0 < a.test_error() < 10


def test_without_neuraloperator_the_workload_says_so(monkeypatch):
    small = {**perf.preset()}
    small["data"] = {**small["data"], "n_train": 8, "n_val": 2, "n_test": 2, "eval_resolutions": None}
    monkeypatch.setattr(perf, "preset", lambda: small)
    monkeypatch.setitem(sys.modules, "neuralop", None)  # import neuralop -> ImportError
    [w] = perf.workloads(quick=True)
    assert w.pairs == [] and "not installed" in w.facts["neuraloperator"]
