"""`zoo bench`: bench files read strictly as data, the runner on a fake app (reuse, a failing cell, skipped and n/a
cells, the JSON and --record), and the machine record."""

import json
from pathlib import Path

import pytest

from zoo.errors import InputError
from zoo.lessons.trials import Target
from zoo.runtime import cli
from zoo.runtime.apps import App, DemoStep, Trial
from zoo.runtime.bench import bench_name, plan
from zoo.runtime.bench_spec import load_bench
from zoo.runtime.machine import describe, machine_record, parse_cpuinfo

ROOT = Path(__file__).resolve().parents[2]
BENCH_FILES = ["apps/vision/configs/bench.yaml", "apps/nlp/configs/bench.yaml", "apps/rl/configs/bench.yaml",
               "apps/science/pde/configs/bench.yaml", "apps/science/genomics/configs/bench.yaml"]

GOOD = """\
description: a fake matrix
minutes: 2
datasets:
  easy: {config: easy.yaml}
  hard: {config: easy.yaml, label: the hard one, default: false}
  gone: {config: easy.yaml, requires: [/no/such/data]}
families:
  cnn: {model: cnn_small, model_kwargs: {width: 8}, epochs: 3}
  resnet: {}
  fno: {}
columns:
  - {label: loss, key: test.test_loss, format: ".2f"}
  - {label: speed-up, key: test.solver_s, per: test.model_s, format: ".0f"}
"""


def write_bench(folder: Path, text: str = GOOD) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "easy.yaml").write_text("model:\n  model: resnet_small\n")
    (folder / "bench.yaml").write_text(text)
    return folder / "bench.yaml"


@pytest.mark.parametrize("path", BENCH_FILES)
def test_every_app_bench_file_is_valid(path):
    spec = load_bench(ROOT / path)
    assert spec.datasets and all(d.config.is_file() for d in spec.datasets.values())


def test_a_good_bench_file(tmp_path):
    spec = load_bench(write_bench(tmp_path))
    assert list(spec.datasets) == ["easy", "hard", "gone"] and spec.minutes == 2
    assert spec.datasets["hard"].label == "the hard one" and not spec.datasets["hard"].default
    assert spec.families["cnn"].epochs == 3 and spec.families["resnet"].model is None
    assert spec.columns[1].per == "test.model_s"


@pytest.mark.parametrize("change, message", [
    (("minutes: 2", "minutes: 2\nseeds: 3"), "unknown key 'seeds'"),
    (("easy: {config: easy.yaml}", "easy: {config: easy.yaml, confg: x}"), "datasets.easy: unknown key 'confg'"),
    (("resnet: {}", "resnet: {epoch: 3}"), "families.resnet: unknown key 'epoch'"),
    (("resnet: {}", "perceptron: {}"), "unknown family perceptron"),
    (("resnet: {}", "resnet: {model: resnet_huge}"), "no model 'resnet_huge'"),
    (("easy: {config: easy.yaml}", "easy: {config: missing.yaml}"), "missing.yaml is not a file"),
    (("easy: {config: easy.yaml}", "easy: {label: x}"), "datasets.easy: needs `config`"),
    (("epochs: 3", "epochs: 0"), "families.cnn.epochs"),
    (("minutes: 2", "minutes: -1"), "minutes: expected a positive number"),
    (("minutes: 2", "minutes: yes"), "minutes: expected a positive number"),
    (('format: ".2f"', 'format: "%d"'), "columns[0].format"),
    (("default: false", "default: maybe"), "hard.default: expected true or false"),
    (("requires: [/no/such/data]", "requires: /no/such/data"), "gone.requires: expected a list"),
    (("  easy:", "  Easy/1:"), "must be lower-case"),
    (("datasets:", "datasets: [\n"), "not valid YAML"),
])
def test_a_bad_bench_file_names_the_file_and_key(tmp_path, change, message):
    path = write_bench(tmp_path, GOOD.replace(*change))
    with pytest.raises(InputError, match="bench.yaml") as e:
        load_bench(path)
    assert message in str(e.value)


@pytest.mark.parametrize("text", ["", "- a list\n", "datasets: {}\n", "description: no datasets\n",
                                  "datasets:\n  a: {config: easy.yaml}\ncolumns:\n  - {label: x}\n"])
def test_incomplete_bench_files_are_refused(tmp_path, text):
    with pytest.raises(InputError, match="bench.yaml"):
        load_bench(write_bench(tmp_path, text))


class FakeBenchApp:
    """A trial function that writes a metrics.json; the model named in ``fail`` raises ``error``."""

    def __init__(self, fail: str | None = None, error: Exception | None = None):
        self.calls: list[Trial] = []
        self.fail, self.error = fail, error or FileNotFoundError("fake data is missing")

    def __call__(self, trial: Trial) -> Path:
        self.calls.append(trial)
        if trial.model == self.fail:
            raise self.error
        run_dir = Path(trial.runs_dir) / "fake" / trial.name
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "metrics.json").write_text(json.dumps({
            "app": "fake", "run": trial.name, "run_dir": str(run_dir), "model": trial.model or "resnet_small",
            "num_parameters": 1234, "fit_seconds": 1.5, "epochs": 3,
            "test": {"test_acc": 0.75, "test_loss": 0.5, "solver_s": 2.0, "model_s": 0.02},
            "headline": {"name": "test_acc", "value": 0.75, "higher_is_better": True}}))
        return run_dir

    def apps(self, bench: Path) -> dict:
        step = DemoStep("step", lambda *a: None, trial=self, kind="image", bench=bench)
        return {"fake": App("fake", "a fake app", lambda argv: 0, (step,))}


def run_cli(monkeypatch, apps: dict, *argv: str) -> int:
    monkeypatch.setattr("zoo.runtime.apps.discover_apps", lambda: apps)
    return cli.main(["bench", *argv])


def test_bench_runs_the_matrix_reuses_finished_cells_and_reports_failures(tmp_path, monkeypatch):
    bench = write_bench(tmp_path / "configs")
    app = FakeBenchApp(fail="cnn_small")
    assert run_cli(monkeypatch, app.apps(bench), "fake", "--out", str(tmp_path / "out"), "--record") == 1
    result = json.loads((tmp_path / "out" / "fake.json").read_text())
    rows = {(r["dataset"], r["family"]): r for r in result["rows"]}
    assert list(rows) == [(d, f) for d in ("easy", "gone") for f in ("cnn", "resnet", "fno")]  # hard: not default
    assert rows[("easy", "cnn")]["status"] == "failed: FileNotFoundError: fake data is missing"
    assert rows[("easy", "resnet")]["status"] == "ok" and rows[("easy", "resnet")]["values"] == {
        "loss": 0.5, "speed-up": 100.0}
    assert rows[("easy", "fno")]["status"].startswith("n/a: no fno model takes `image` inputs")
    assert rows[("gone", "resnet")]["status"] == "skipped: needs /no/such/data"
    assert [t.name for t in app.calls] == ["easy_cnn", "easy_resnet"]
    cnn = app.calls[0]  # the bench's model, arguments, epochs and minutes reach the trial
    assert (cnn.model, cnn.model_kwargs, cnn.budget, cnn.max_seconds) == ("cnn_small", {"width": 8}, (3, "epochs"), 120)
    assert app.calls[1].model is None and app.calls[1].model_kwargs is None  # the preset's own resnet
    assert result["command"] == "zoo bench fake --record" and result["machine"]["torch"]
    assert json.loads((Path("results") / "fake.json").read_text()) == result  # --record

    app.calls.clear()  # again (a comment added to the preset): the finished cell is reused, the failed one tried again
    (bench.parent / "easy.yaml").write_text("# the same settings\nmodel:\n  model: resnet_small\n")
    run_cli(monkeypatch, app.apps(bench), "fake", "--out", str(tmp_path / "out"))
    assert [t.name for t in app.calls] == ["easy_cnn"]
    app.calls.clear()  # other settings (the budget): trained again
    run_cli(monkeypatch, app.apps(bench), "fake", "--out", str(tmp_path / "out"), "--minutes", "1",
            "--families", "resnet")
    assert [(t.name, t.max_seconds) for t in app.calls] == [("easy_resnet", 60)]


def test_an_unexpected_error_is_not_swallowed(tmp_path, monkeypatch):
    app = FakeBenchApp(fail="cnn_small", error=RuntimeError("a bug"))
    with pytest.raises(RuntimeError, match="a bug"):
        run_cli(monkeypatch, app.apps(write_bench(tmp_path)), "fake", "--out", str(tmp_path / "out"))


@pytest.mark.parametrize("argv, message", [
    (["--families", "cnn,lstm"], "--families 'cnn,lstm'"),
    (["--datasets", "nope"], "--datasets 'nope'"),
    (["--minutes", "0"], "--minutes must be positive"),
])
def test_bad_selections_exit_2_before_training(tmp_path, monkeypatch, capsys, argv, message):
    app = FakeBenchApp()
    assert run_cli(monkeypatch, app.apps(write_bench(tmp_path)), "fake", *argv) == 2
    assert message in capsys.readouterr().err and not app.calls


def test_a_bad_bench_file_exits_2_naming_file_and_key(tmp_path, monkeypatch, capsys):
    bench = write_bench(tmp_path, GOOD.replace("minutes: 2", "minutes: 2\ntypo: 1"))
    assert run_cli(monkeypatch, FakeBenchApp().apps(bench), "fake") == 2
    err = capsys.readouterr().err
    assert "bench.yaml: unknown key 'typo'" in err and len(err.strip().splitlines()) == 1


def test_bench_file_falls_back_to_beside_the_quick_preset(tmp_path):
    bench = write_bench(tmp_path)
    step = DemoStep("step", lambda *a: None, trial=FakeBenchApp(), kind="image",
                    config_for=lambda preset: tmp_path / f"x_{preset}.yaml")
    from zoo.runtime.bench import bench_file

    assert bench_file(Target("fake", step)) == bench
    assert bench_name(Target("fake", step), {"fake": App("fake", "", print, (step,))}) == "fake"
    two = App("sci", "", print, (step, DemoStep("b", None)))
    assert bench_name(Target("sci", step), {"sci": two}) == "sci/step"


def test_dataset_model_arguments_join_the_family_ones(tmp_path):
    spec = load_bench(write_bench(tmp_path, GOOD.replace("easy: {config: easy.yaml}",
                                                         "easy: {config: easy.yaml, model_kwargs: {cnn: {depth: 2}}}")))
    cells = plan(spec, "image", ["cnn"], ["easy"], None)
    assert cells[0].model_kwargs == {"width": 8, "depth": 2} and cells[0].max_seconds == 120


CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu sse2 avx2 fma avx512f avx512_bf16 amx_tile amx_bf16 amx_int8
processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8480+
"""


def test_machine_record(tmp_path):
    assert parse_cpuinfo(CPUINFO) == ("Intel(R) Xeon(R) Platinum 8480+",
                                      ["avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"])
    (tmp_path / "cpuinfo").write_text(CPUINFO)
    m = machine_record("bf16-mixed", tmp_path / "cpuinfo")
    assert m["cpu"] == "Intel(R) Xeon(R) Platinum 8480+" and "amx_bf16" in m["cpu_flags"]
    assert m["cores"] >= m["usable_cores"] >= 1 and m["torch"] and m["precision"] == "bf16-mixed"
    assert len(m["date"]) == 10
    line = describe(m)
    assert "Platinum 8480+" in line and "avx512_bf16, amx_bf16" in line and "bf16-mixed" in line
    assert machine_record("32-true", tmp_path / "no-cpuinfo")["cpu"]  # elsewhere: what platform says
