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


def fake_step(name: str, fail: bool = False):
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
            "fit_seconds": 1.0, "train_samples_per_s": 100.0}))
        return run_dir
    return DemoStep(name, run)


def test_demo_writes_report_and_reports_failures(tmp_path, monkeypatch, capsys):
    apps = {"fake": App("fake", "a fake app", lambda argv: 0, (fake_step("good"), fake_step("bad", fail=True)))}
    monkeypatch.setattr(demo, "discover_apps", lambda: apps)
    assert demo.main("demo", str(tmp_path)) == 1  # one step failed: non-zero exit, but the report is written
    report = (tmp_path / "demo" / "report.md").read_text()
    assert "| fake/good | cnn_small | cpu | test_acc | 0.9 | 0.5 |" in report
    assert "Failed: `RuntimeError: data missing: looked in /nowhere`" in report
    assert "![curves](../fake/good/plots/curves.png)" in report
    assert "| fake | 0.9 |" in report  # leaderboard app x family
    html = (tmp_path / "demo" / "report.html").read_text()
    assert "<table>" in html and 'src="../fake/good/plots/curves.png"' in html
    assert "report.md" in capsys.readouterr().out
