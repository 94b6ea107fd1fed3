"""The machinery `zoo compare` and `zoo bench` share: training caps, reuse of finished runs, failing cells."""

import io
import json

import pytest
from rich.console import Console

from zoo.lessons.cells import SETTINGS_FILE, RunClock, reusable_run, run_cell


def test_caps_share_the_time_left_less_measured_overheads():
    clock = RunClock(4, total_seconds=400)
    assert clock.next_cap() == pytest.approx(400 / 4 - 45, abs=1)  # the first overhead is a guess
    clock.measured(wall_seconds=100, fit_seconds=80)  # 20 s of overhead measured
    assert clock.next_cap() == pytest.approx(400 / 3 - 20, abs=1)
    assert clock.next_cap(fixed=30) == 30  # a fixed cap wins
    clock.skip(1)
    assert clock.runs_left == 0 and clock.eta_seconds(None) == 0
    assert RunClock(2).next_cap() is None  # no deadline: the preset's own limits
    assert RunClock(3).eta_seconds(60) == 3 * (60 + 45)


def fake_run(root, name, value=0.5):
    run_dir = root / "app" / name
    run_dir.mkdir(parents=True)
    (run_dir / "metrics.json").write_text(json.dumps({
        "app": "app", "run": name, "run_dir": str(run_dir), "model": "cnn_small", "fit_seconds": 1.0,
        "headline": {"name": "acc", "value": value, "higher_is_better": True}}))
    return run_dir


def test_a_finished_run_is_reused_only_with_the_same_settings(tmp_path):
    console, clock, calls = Console(file=io.StringIO()), RunClock(3), []

    def train():
        calls.append(1)
        return fake_run(tmp_path, f"cell{len(calls)}")

    first = run_cell(tmp_path, "cell1", {"lr": 0.1}, train, clock, console)
    assert first.status == "ok" and json.loads((tmp_path / "app" / "cell1" / SETTINGS_FILE).read_text()) == {"lr": 0.1}
    assert run_cell(tmp_path, "cell1", {"lr": 0.1}, train, clock, console).status == "reused" and len(calls) == 1
    assert reusable_run(tmp_path, "cell1", {"lr": 0.2}) is None  # other settings: train again
    (tmp_path / "app" / "cell1" / SETTINGS_FILE).write_text("{not json")
    assert reusable_run(tmp_path, "cell1", {"lr": 0.1}) is None  # a damaged record: train again


def test_expected_errors_become_the_cell_status_and_others_propagate(tmp_path):
    console, clock = Console(file=io.StringIO()), RunClock(2)

    def missing():
        raise FileNotFoundError("no data in /nowhere")

    out = run_cell(tmp_path, "c", {}, missing, clock, console)
    assert out.result is None and out.status == "failed: FileNotFoundError: no data in /nowhere"

    def bug():
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        run_cell(tmp_path, "d", {}, bug, clock, console)
