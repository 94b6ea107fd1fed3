"""The `zoo` command: model listing, app dispatch, and the demo frame (report, failures)."""

import json
from pathlib import Path

import pytest

from zoo.runtime import cli, demo
from zoo.runtime.apps import App, DemoStep


def test_zoo_models_lists_with_pattern(capsys):
    assert cli.main(["models", "resnet*"]) == 0
    out = capsys.readouterr().out
    assert "resnet_small" in out and "resnet_base" in out and "cnn_small" not in out


def test_unknown_command_exits_with_usage():
    with pytest.raises(SystemExit):
        cli.main(["no-such-app"])


def fake_step(name: str, fail: bool = False, floor=None, timed_out: bool = False):
    def run(preset: str, runs_dir: Path, max_seconds=None) -> Path:
        if fail:
            raise RuntimeError("data missing: looked in /nowhere")
        run_dir = Path(runs_dir) / "fake" / name
        (run_dir / "plots").mkdir(parents=True)
        (run_dir / "plots" / "curves.png").write_bytes(b"png")
        (run_dir / "metrics.json").write_text(json.dumps({
            "app": "fake", "run": name, "run_dir": str(run_dir), "model": "cnn_small", "family": "cnn",
            "device": "cpu", "test": {"test_acc": 0.9}, "headline": {"name": "test_acc", "value": 0.9},
            "baseline": {"name": "test_acc", "value": 0.5, "description": "chance"}, "plots": ["plots/curves.png"],
            "fit_seconds": 1.0, "train_samples_per_s": 100.0, "timed_out": timed_out or bool(max_seconds)}))
        return run_dir
    return DemoStep(name, run, floors={} if floor is None else {"demo": floor})


def test_demo_writes_report_and_reports_failures(tmp_path, monkeypatch, capsys):
    apps = {"fake": App("fake", "a fake app", lambda argv: 0, (fake_step("good"), fake_step("bad", fail=True)))}
    monkeypatch.setattr(demo, "discover_apps", lambda: apps)
    assert demo.main("demo", str(tmp_path)) == 1  # one step failed: non-zero exit, but the report is written
    report = (tmp_path / "demo" / "report.md").read_text()
    assert "| fake/good | ok | cnn_small | cpu | test_acc | 0.9 | 0.5 | - | - |" in report
    assert "Failed: `RuntimeError: data missing: looked in /nowhere`" in report
    assert "![curves](../fake/good/plots/curves.png)" in report
    assert "| fake | 0.9 |" in report  # leaderboard app x family
    html = (tmp_path / "demo" / "report.html").read_text()
    assert "<table>" in html and 'src="../fake/good/plots/curves.png"' in html
    assert "report.md" in capsys.readouterr().out


@pytest.mark.parametrize("floor,verdict,code", [(0.8, "PASS", 0), (0.95, "FAIL", 1), ("baseline", "PASS", 0)])
def test_demo_shows_each_floor_and_fails_below_it(tmp_path, monkeypatch, capsys, floor, verdict, code):
    apps = {"fake": App("fake", "a fake app", lambda argv: 0, (fake_step("good", floor=floor),))}
    monkeypatch.setattr(demo, "discover_apps", lambda: apps)
    assert demo.main("demo", str(tmp_path), lessons=False) == code
    out = capsys.readouterr().out
    assert verdict in out and ("not ok: fake/good: below floor" in out) == (code == 1)
    step = json.loads((tmp_path / "demo" / "demo.json").read_text())["steps"][0]
    assert step["floor_verdict"] == verdict and step["status"] == ("ok" if code == 0 else "below floor")


def test_a_step_its_time_cap_stopped_is_timed_out_not_ok(tmp_path, monkeypatch, capsys):
    apps = {"fake": App("fake", "a fake app", lambda argv: 0, (fake_step("good", floor=0.5),))}
    monkeypatch.setattr(demo, "discover_apps", lambda: apps)
    assert cli.main(["demo", "--runs-dir", str(tmp_path), "--no-lessons", "--max-seconds", "1"]) == 1
    out = capsys.readouterr().out
    assert "TIMED OUT" in out and "FAIL" in out and "not ok: fake/good: timed out" in out
    assert json.loads((tmp_path / "demo" / "demo.json").read_text())["steps"][0]["status"] == "timed out"
    html = (tmp_path / "demo" / "report.html").read_text()
    assert "<b>Timed out</b>" in html and "<code>" in html and "`" not in html.split("<body>")[1]
