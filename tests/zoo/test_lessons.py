"""The lesson tools' machinery (`zoo sweep`, `zoo study depth`, `zoo compare`) on a fast fake app: resuming, the
summaries and pictures, and bad input refused before anything trains. test_lessons_vision.py runs them for real."""

import json
import math
from pathlib import Path

import pytest

from zoo.lessons import sweep
from zoo.lessons.compare import run_compare
from zoo.lessons.study import verdict
from zoo.lessons.sweep import SweepSpec, run_sweep
from zoo.lessons.trials import Target, lightning_args, parse_budget, read_result
from zoo.runtime import cli
from zoo.runtime.apps import App, DemoStep, Trial


def fake_metrics(run_dir: Path, score: float, higher: bool = True, loss0: float = 2.0) -> Path:
    (run_dir / "csv").mkdir(parents=True, exist_ok=True)
    rows = ["epoch,step,train_loss_step"] + [f"0,{s},{loss0 / (1 + s * max(score, 0.01))}" for s in range(8)]
    (run_dir / "csv" / "metrics.csv").write_text("\n".join(rows) + "\n")
    (run_dir / "metrics.json").write_text(json.dumps({
        "app": "fake", "run": run_dir.name, "run_dir": str(run_dir), "model": "cnn_small", "family": "cnn",
        "num_parameters": 10, "device": "cpu", "test": {"test_acc": score}, "fit_seconds": 0.1,
        "train_samples_per_s": 10.0, "headline": {"name": "test_acc", "value": score, "higher_is_better": higher},
        "validation": {"name": "val_acc", "higher_is_better": higher, "best": score, "last": score}}))
    return run_dir


class FakeApp:
    """A trial function whose validation score peaks at lr = 1e-2 * batch_size / 64: the linear-scaling rule."""

    def __init__(self, diverge_above: float = math.inf):
        self.calls: list[Trial] = []
        self.diverge_above = diverge_above

    def __call__(self, trial: Trial) -> Path:
        self.calls.append(trial)
        best = 1e-2 * (trial.batch_size or 64) / 64
        score = (0.9 - 0.1 * (math.log10(trial.lr or 1e-2) - math.log10(best)) ** 2 + 0.001 * (trial.seed or 0)
                 - 0.01 * abs(math.log2((trial.batch_size or 64) / 64)))  # batch size 64 is best overall
        if (trial.lr or 0) > self.diverge_above:
            score = float("nan")
        return fake_metrics(Path(trial.runs_dir) / "fake" / trial.name, score)

    def target(self, kind: str = "image") -> Target:
        return Target("fake", DemoStep("step", lambda *a: None, trial=self, kind=kind))


def test_sweep_resumes_only_the_missing_trials(tmp_path):
    app = FakeApp()
    spec = SweepSpec([1e-3, 1e-2, 1e-1], [64, 256], [None], [0], (2, "epochs"))
    run_sweep(app.target(), spec, tmp_path, max_trials=2)  # "killed" after two trials
    assert len(app.calls) == 2
    first = {(t.lr, t.batch_size) for t in app.calls}
    summary = run_sweep(app.target(), spec, tmp_path)  # started again
    assert len(app.calls) == 6  # only the 4 missing ones ran
    assert not first & {(t.lr, t.batch_size) for t in app.calls[2:]}
    assert summary["trials_done"] == 6 and summary["best"]["lr"] == 1e-2 and summary["best"]["batch_size"] == 64
    run_sweep(app.target(), spec, tmp_path)  # a finished sweep trains nothing
    assert len(app.calls) == 6
    for p in ("plots/heatmap.png", "plots/loss_curves.png", "report.md", "sweep.json", "study.db"):
        assert (tmp_path / p).is_file(), p


class KilledApp(FakeApp):
    """Its first trial never returns: the process dies mid-trial (SystemExit escapes Optuna, as a kill would), so
    the trial stays RUNNING with a heartbeat that stops."""

    def __call__(self, trial: Trial) -> Path:
        if not self.calls:
            self.calls.append(trial)
            raise SystemExit("killed")
        return super().__call__(trial)


def test_a_trial_left_running_by_a_killed_process_is_run_again(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep, "HEARTBEAT_SECONDS", 1)
    monkeypatch.setattr(sweep, "GRACE_SECONDS", 1)
    app = KilledApp()
    spec = SweepSpec([1e-3, 1e-2], [64], [None], [0], (1, "epochs"))
    with pytest.raises(SystemExit):
        run_sweep(app.target(), spec, tmp_path)
    # Started again at once: the other point runs, then the dead trial's heartbeat goes stale and it runs again.
    summary = run_sweep(app.target(), spec, tmp_path)
    killed, *rest = [(t.lr, t.batch_size) for t in app.calls]
    assert len(app.calls) == 3 and rest[-1] == killed and set(rest) == {(1e-3, 64), (1e-2, 64)}
    assert summary["trials_done"] == 2


def test_sweep_shares_a_study_given_by_storage_url(tmp_path):
    app = FakeApp()
    spec = SweepSpec([1e-3, 1e-2], [64], [None], [0], (1, "epochs"))
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    run_sweep(app.target(), spec, tmp_path / "a", max_trials=1, storage=url)
    summary = run_sweep(app.target(), spec, tmp_path / "b", storage=url)  # another machine, the same study
    assert len(app.calls) == 2 and summary["trials_done"] == 2
    assert not (tmp_path / "a" / "study.db").exists() and not (tmp_path / "b" / "study.db").exists()


def test_sweep_fits_the_lr_batch_slope_and_flags_an_edge(tmp_path):
    app = FakeApp()
    spec = SweepSpec([2.5e-3, 1e-2, 4e-2], [16, 64], [None], [0, 1], (1, "epochs"))
    s = run_sweep(app.target(), spec, tmp_path)
    assert s["lr_batch_slope"]["slope_mean"] == pytest.approx(1.0)  # the fake app follows the linear rule
    assert s["best_lr_at_edge"] is False
    edge = run_sweep(app.target(), SweepSpec([1e-4, 1e-3], [64], [None], [0], (1, "epochs")), tmp_path / "edge")
    assert edge["best_lr_at_edge"] is True
    assert "edge of the grid" in (tmp_path / "edge" / "report.md").read_text()


def test_diverged_trials_are_reported_not_fatal(tmp_path):
    app = FakeApp(diverge_above=0.05)
    s = run_sweep(app.target(), SweepSpec([1e-2, 1e-1], [64], [None], [0], (1, "epochs")), tmp_path)
    assert s["trials_done"] == 2 and s["best"]["lr"] == 1e-2
    assert any(math.isnan(r["score"]) for r in s["rows"])


def test_compare_fills_the_matrix_with_na_and_failures(tmp_path):
    good = FakeApp()

    def broken(trial):
        raise FileNotFoundError("out of data")

    targets = [good.target("image"), Target("other", DemoStep("s", lambda *a: None, trial=broken, kind="field"))]
    s = run_compare(targets, ["cnn", "fno", "resnet"], tmp_path, seeds=2, run_seconds=5)
    cells = {(r["app"], r["family"]): r for r in s["rows"]}
    assert cells[("fake/step", "cnn")]["n"] == 2 and cells[("fake/step", "cnn")]["status"] == "ok"
    assert cells[("fake/step", "fno")]["status"].startswith("n/a")  # no fno model takes images
    assert cells[("other/s", "cnn")]["status"].startswith("failed: FileNotFoundError: out of data")
    assert all(t.max_seconds == 5 and t.model for t in good.calls)
    assert (tmp_path / "plots" / "leaderboard.png").is_file() and "## fake/step" in (tmp_path / "report.md").read_text()


def test_depth_verdicts():
    assert verdict("healthy", "healthy", 1.0, 2.3, 0.5) == "trains"
    assert verdict("healthy", "healthy", 1.0, 2.3, 2.25) == "stalls"
    assert verdict("healthy", "healthy", 500.0, 2.3, 2.2) == "exploding"  # the trunk amplifies gradients
    assert verdict("vanishing", "healthy", 1.0, 2.3, 2.2) == "vanishing"
    assert verdict("healthy", "healthy", 1.0, 2.3, float("nan")) == "exploding"


def test_budget_and_lightning_arguments():
    assert parse_budget("300steps") == (300, "steps") and parse_budget("2epochs") == (2, "epochs")
    assert parse_budget("90s") == (90, "seconds")
    for bad in ("0steps", "1.5epochs", "ten", "5 parsecs", ""):
        with pytest.raises(ValueError, match="budget"):
            parse_budget(bad)
    args = lightning_args(Trial("quick", "t", Path("runs"), lr=0.01, batch_size=32, budget=(100, "steps")))
    assert args[args.index("--trainer.max_steps") + 1] == "100" and args[args.index("--model.lr") + 1] == "0.01"
    assert args[args.index("--trainer.max_epochs") + 1] == "-1"  # the budget is the only limit


def test_read_result_prefers_validation(tmp_path):
    r = read_result(fake_metrics(tmp_path / "run", 0.7))
    assert r["score"] == 0.7 and r["score_name"] == "val_acc" and r["higher_is_better"]


@pytest.mark.parametrize("argv, message", [
    (["sweep", "vision", "--lr", "1e-1:1e-4"], "LOW:HIGH:N"),
    (["sweep", "vision", "--lr", "1e-1:1e-4:5:log"], "low < high"),
    (["sweep", "vision", "--budget", "0steps"], "positive"),
    (["sweep", "vision", "--batch-size", "32,big"], "batch-size"),
    (["sweep", "nosuchapp"], "unknown app 'nosuchapp'"),
    (["study", "depth", "vision", "--families", "cnn,perceptron"], "unknown family perceptron"),
    (["study", "depth", "vision", "--init", "zeros"], "unknown init scheme zeros"),
    (["compare", "all", "--families", "cnn,perceptron"], "unknown family perceptron"),
    (["compare", "vision", "--seeds", "0"], "seeds"),
])
def test_bad_input_is_refused_before_training(argv, message, tmp_path, monkeypatch, capsys):
    calls = []
    app = App("vision", "fake vision", lambda a: 0, (DemoStep("images", lambda *a: None, trial=calls.append,
                                                              kind="image"),))
    monkeypatch.setattr("zoo.runtime.apps.discover_apps", lambda: {"vision": app})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        cli.main(argv + ["--out", str(tmp_path / "out")])
    assert e.value.code == 2
    assert message in capsys.readouterr().err
    assert not calls and not (tmp_path / "out").exists()


def test_demo_report_includes_the_quick_sweep_and_leaderboard(tmp_path, monkeypatch):
    from zoo.runtime import demo

    fake = FakeApp()

    def run(preset, runs_dir, max_seconds=None):
        return fake(Trial(preset, "step_demo", Path(runs_dir)))

    step = DemoStep("step", run, trial=fake, kind="image", lessons=True)
    monkeypatch.setattr(demo, "discover_apps", lambda: {"fake": App("fake", "fake", lambda a: 0, (step,))})
    assert demo.main("demo", str(tmp_path)) == 0
    report = (tmp_path / "demo" / "report.md").read_text()
    assert "## sweep: fake/step" in report and "## leaderboard: fake/step" in report
    assert "![heatmap](sweep-fake-step/plots/heatmap.png)" in report
    assert (tmp_path / "demo" / "sweep-fake-step" / "plots" / "heatmap.png").is_file()


def test_compare_does_not_retrain_finished_runs_wherever_the_app_puts_them(tmp_path):
    app = FakeApp()  # writes to <runs>/fake/<name>; the science steps write to pde/ and genomics/, not science/
    target = Target("science", DemoStep("pde", lambda *a: None, trial=app, kind="image"))
    run_compare([target], ["cnn"], tmp_path, seeds=1, run_seconds=5)
    run_compare([target], ["cnn"], tmp_path, seeds=1, run_seconds=5)
    assert len(app.calls) == 1


def test_a_family_left_at_chance_is_a_budget_failure_not_a_rank(tmp_path):
    def trial(t: Trial) -> Path:
        score = 0.12 if t.model == "resnet_small" else 0.8  # resnet: 10 classes, barely above guessing
        run_dir = fake_metrics(Path(t.runs_dir) / "fake" / t.name, score)
        record = json.loads((run_dir / "metrics.json").read_text())
        (run_dir / "metrics.json").write_text(json.dumps({**record, "chance": 0.1}))
        return run_dir

    target = Target("fake", DemoStep("step", lambda *a: None, trial=trial, kind="image"))
    s = run_compare([target], ["cnn", "resnet"], tmp_path, seeds=1, run_seconds=5)
    cells = {r["family"]: r for r in s["rows"]}
    assert cells["cnn"]["status"] == "ok" and cells["cnn"]["mean"] == pytest.approx(0.8)
    assert cells["resnet"]["status"].startswith("budget failure: 0.120 is chance level (0.100)")
    assert math.isnan(cells["resnet"]["mean"])
    assert "| - | resnet |" in (tmp_path / "report.md").read_text()  # listed, not ranked


def test_demo_records_each_step_and_lesson_time(tmp_path, monkeypatch):
    from zoo.runtime import demo

    fake = FakeApp()
    step = DemoStep("step", lambda preset, runs_dir, s=None: fake(Trial(preset, "step_demo", Path(runs_dir))),
                    trial=fake, kind="image", lessons=True)
    monkeypatch.setattr(demo, "discover_apps", lambda: {"fake": App("fake", "fake", lambda a: 0, (step,))})
    assert demo.main("demo", str(tmp_path)) == 0
    payload = json.loads((tmp_path / "demo" / "demo.json").read_text())
    assert payload["machine"]["cpu"] and payload["wall_seconds"] >= 0
    assert [s["step"] for s in payload["steps"]] == ["fake/step"] and payload["steps"][0]["wall_seconds"] >= 0
    assert [lesson["title"] for lesson in payload["lessons"]] == ["sweep: fake/step", "leaderboard: fake/step"]
    headers, rows = demo.demo_cells(payload)
    assert rows[0][:3] == ["fake/step", "ok", "cnn_small"] and rows[-1][0] == "**total**"


def test_the_demo_lessons_use_the_host_steps_lesson_preset(tmp_path):
    from zoo.runtime.demo import lesson_preset

    (tmp_path / "x_lesson.yaml").write_text("{}")
    with_lesson = DemoStep("s", lambda *a: None, config_for=lambda p: tmp_path / f"x_{p}.yaml")
    without = DemoStep("s", lambda *a: None, config_for=lambda p: tmp_path / f"y_{p}.yaml")
    assert lesson_preset(with_lesson, "demo") == "lesson" and lesson_preset(with_lesson, "gpu") == "gpu"
    assert lesson_preset(without, "demo") == "demo"
