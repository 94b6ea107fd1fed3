"""`zoo perf`'s machinery on fake contenders: ABBA order, median ratio and spread, MFU, the JSON and table, bad
input; and `precision: auto`'s choice from a CPU's flags. The real workloads are checked in each app's tests."""

import json
from types import SimpleNamespace

import pytest

from zoo.errors import InputError
from zoo.runtime import perf_run
from zoo.runtime.apps import App
from zoo.runtime.machine import auto_precision
from zoo.runtime.perf import Contender, Pair, Timed, Workload, abba, mfu, run_pair


def counting(name: str, rate: float, log: list) -> Contender:
    """A contender doing ``rate`` items per second, appending its name to ``log`` on every run."""
    def run() -> Timed:
        log.append(name)
        return Timed(seconds=1.0, items=rate)
    return Contender(name, run, flops_per_item=1e6, precision="fp32")


def test_abba_runs_warm_ups_then_ours_peer_peer_ours_and_reports_the_median_ratio():
    log = []
    rates = iter([10, 30, 20, 40])  # ours' throughput changes from repeat to repeat (e.g. a neighbour's load)

    def ours_run():
        log.append("A")
        return Timed(1.0, next(rates, 20))
    pair = Pair("p", "steps", Contender("A", ours_run), counting("B", 10.0, log))
    result = abba(pair, repeats=3)
    assert log == ["A", "B"] + ["A", "B", "B", "A"] * 3
    # per repeat: ours = mean of its two runs; rates 30,20 | 40,20 | 20,20 after the warm-up took the 10
    assert result["ratios"] == pytest.approx([2.5, 3.0, 2.0])
    assert result["ratio_median"] == pytest.approx(2.5) and result["ratio_spread"] == pytest.approx([2.0, 3.0])


def test_mfu_is_model_flops_over_the_peak_of_the_contenders_precision():
    peaks = {"fp32": 1e9, "bf16": 4e9}
    assert mfu(Contender("x", lambda: None, 1e6, "fp32"), 100.0, peaks) == pytest.approx(0.1)
    assert mfu(Contender("x", lambda: None, 1e6, "bf16"), 100.0, peaks) == pytest.approx(0.025)
    assert mfu(Contender("x", lambda: None, None), 100.0, peaks) is None


def test_a_pair_meets_its_goal_only_when_the_median_ratio_reaches_it():
    log = []
    pair = Pair("p", "steps", counting("A", 9.6, log), counting("B", 10.0, log), goal=1 / 1.05)
    assert run_pair(pair, 3, {"fp32": 1e9})["meets_goal"] is True
    pair.goal = 1.0
    assert run_pair(pair, 3, {"fp32": 1e9})["meets_goal"] is False


def fake_apps(log: list) -> dict:
    workload = Workload("fake work", [Pair("fast vs slow", "steps", counting("ours", 20, log), counting("peer", 10, log),
                                           goal=1.5)], {"identical": True})
    return {"fake": App("fake", "a fake app", lambda argv: 0, (), (), lambda quick: [workload]),
            "other": App("other", "no perf", lambda argv: 0)}


def test_zoo_perf_writes_the_machine_peaks_pairs_and_facts(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(perf_run, "measure_peaks", lambda: {"fp32": 1e9, "bf16": 2e9})
    args = SimpleNamespace(apps=[], repeats=3, quick=True, out=str(tmp_path), record=False)
    assert perf_run.main(args, fake_apps([])) == 0
    payload = json.loads((tmp_path / "perf.json").read_text())
    assert payload["machine"]["cpu"] and payload["peaks_flops"] == {"fp32": 1e9, "bf16": 2e9}
    (w,) = payload["workloads"]
    assert w["app"] == "fake" and w["facts"] == {"identical": True}
    (p,) = w["pairs"]
    assert p["ratio_median"] == pytest.approx(2.0) and p["meets_goal"] is True
    assert p["ours"]["mfu"] == pytest.approx(20 * 1e6 / 1e9)
    headers, rows = perf_run.perf_cells(payload)
    assert rows[0][headers.index("ratio (median, spread)")] == "2.00 (2.00-2.00)"
    assert rows[0][headers.index("goal")] == "≥ 1.5 yes"
    assert "perf.json" in capsys.readouterr().out


@pytest.mark.parametrize("apps, repeats, message", [(["nope"], 3, "no app named nope has perf workloads"),
                                                      ([], 2, "--repeats must be at least 3")])
def test_zoo_perf_refuses_bad_arguments_before_measuring(apps, repeats, message, tmp_path, monkeypatch):
    monkeypatch.setattr(perf_run, "measure_peaks", lambda: pytest.fail("measured before checking its arguments"))
    args = SimpleNamespace(apps=apps, repeats=repeats, quick=True, out=str(tmp_path), record=False)
    with pytest.raises(InputError, match=message):
        perf_run.main(args, fake_apps([]))
    assert not (tmp_path / "perf.json").exists()


CPUINFO = "processor\t: 0\nmodel name\t: {model}\nflags\t\t: fpu sse avx2 fma avx512f {extra}\n"


@pytest.mark.parametrize("model, extra, expected", [
    ("Intel(R) Xeon(R) Platinum", "avx512_bf16 amx_tile amx_bf16", "bf16-mixed"),
    ("AMD EPYC 9R14", "avx512_bf16", "bf16-mixed"),
    ("Intel(R) Core(TM) i7-8700", "", "32-true")])
def test_auto_precision_is_bf16_only_where_the_cpu_has_fast_bf16(model, extra, expected, tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    info = tmp_path / "cpuinfo"
    info.write_text(CPUINFO.format(model=model, extra=extra))
    precision, why = auto_precision("auto", info)
    assert precision == expected and model in why


def test_auto_precision_is_resolved_by_the_cli_and_recorded(monkeypatch):
    from zoo.runtime.lightning_cli import ZooCLI

    monkeypatch.setattr("zoo.runtime.lightning_cli.auto_precision", lambda accelerator: ("32-true", "test"))
    assert ZooCLI._precision("auto", "cpu") == "32-true"
    assert ZooCLI._precision("bf16-mixed", "cpu") == "bf16-mixed"
