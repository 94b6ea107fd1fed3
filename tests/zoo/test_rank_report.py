"""RankReport's pieces: the weights digest tells replicas apart by a single bit, a single-process fit writes
nothing (the two-node run itself is tests/scale/test_torchrun_two_nodes.py)."""

from types import SimpleNamespace

import torch

from zoo.callbacks import RankReport, first_dim, weights_digest


def test_weights_digest_sees_one_bit():
    torch.manual_seed(0)
    a = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    b = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    b.load_state_dict(a.state_dict())
    assert weights_digest(a) == weights_digest(b)
    with torch.no_grad():
        b[0].weight[0, 0] = torch.nextafter(b[0].weight[0, 0], torch.tensor(1.0))
    assert weights_digest(a) != weights_digest(b)


def test_first_dim_counts_samples():
    assert first_dim((torch.zeros(5, 2), torch.zeros(5))) == 5
    assert first_dim(torch.zeros(3, 7)) == 3 and first_dim({"x": 1}) == 0


def test_one_process_writes_no_rank_file(tmp_path):
    report = RankReport(tmp_path)
    report.on_fit_end(SimpleNamespace(world_size=1), torch.nn.Linear(2, 2))
    assert not (tmp_path / "ranks").exists()
