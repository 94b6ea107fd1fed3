"""The run record (metrics.json): what is written reads back the same, and a malformed or hostile file is refused
with a message that names the file and the field."""

import json
import math

import pytest

from zoo.errors import InputError, RefusedFile
from zoo.runtime.record import Baseline, Headline, Machine, RunRecord, Validation


def full_record(run_dir) -> RunRecord:
    return RunRecord(
        app="vision", model="cnn_small", headline=Headline("test_acc", 0.91), run=run_dir.name, run_dir=str(run_dir),
        family="cnn", num_parameters=1234, device="cpu", test={"test_acc": 0.91, "test_loss": 0.3},
        validation=Validation("val_acc", True, 0.93, 0.92),
        baseline=Baseline("test_acc", 0.8, "logistic regression on pixels", {"floor_description": "x", "worst": 2.0}),
        fit_seconds=12.5, train_samples_per_s=800.0, epochs=3, steps=90, plots=["plots/curves.png"],
        best_checkpoint=str(run_dir / "checkpoints" / "best.ckpt"), machine=Machine.current("32-true"),
        extra={"matches": [{"opponent": "random", "score": 1.0, "elo": math.inf}]})


def test_round_trip_keeps_every_field_and_the_flat_keys(tmp_path):
    record = full_record(tmp_path / "run")
    path = record.write(tmp_path / "run")
    assert RunRecord.read(path) == record == RunRecord.read(tmp_path / "run")  # the file or its folder
    data = json.loads(path.read_text())
    assert data["headline"] == {"name": "test_acc", "value": 0.91, "higher_is_better": True}
    assert data["baseline"]["worst"] == 2.0 and data["baseline"]["description"].startswith("logistic")
    assert data["matches"][0]["opponent"] == "random" and "extra" not in data  # an app's own keys stay top-level
    assert data["machine"]["cores"] >= 1 and data["machine"]["torch"]
    assert not list(tmp_path.glob("run/.metrics.json.*"))  # written through a temporary file, renamed


def test_a_diverged_run_and_an_old_minimal_record_read(tmp_path):
    (tmp_path / "metrics.json").write_text('{"app": "fake", "model": "cnn_small", "headline": '
                                           '{"name": "test_acc", "value": NaN}, "torch": "2.5.1"}')
    record = RunRecord.read(tmp_path)
    assert math.isnan(record.headline.value) and record.headline.higher_is_better
    assert record.validation is None and record.machine is None and record.extra == {"torch": "2.5.1"}
    assert record.run_dir == str(tmp_path) and record.run == tmp_path.name


def test_ranking_prefers_the_best_validation_then_the_last_then_the_headline(tmp_path):
    record = full_record(tmp_path)
    assert record.ranking() == Headline("val_acc", 0.93, True)
    record.validation = Validation("val_loss", False, None, 0.5)
    assert record.ranking() == Headline("val_loss", 0.5, False)
    record.validation = Validation("val_loss", False)
    assert record.ranking() == record.headline


def test_the_folder_read_from_wins_over_the_one_written_inside(tmp_path):
    record = full_record(tmp_path / "old")
    record.write(tmp_path / "moved")
    assert RunRecord.read(tmp_path / "moved").run_dir == str(tmp_path / "moved")


@pytest.mark.parametrize("change, message", [
    ({"headline": None}, "field headline is missing"),
    ({"headline": {"name": "acc", "value": "high"}}, "field headline.value must be a number, got 'high'"),
    ({"headline": {"name": "acc", "value": True}}, "field headline.value must be a number, got True"),
    ({"headline": [1, 2]}, "field headline must be a JSON object, got a JSON list"),
    ({"app": 7}, "field app must be a string, got 7"),
    ({"test": {"test_acc": "0.9"}}, "field test.test_acc must be a number, got '0.9'"),
    ({"epochs": -1}, "field epochs must be a whole number >= 0, got -1"),
    ({"num_parameters": 1.5}, "field num_parameters must be a whole number >= 0, got 1.5"),
    ({"validation": {"name": "val_acc", "best": [0.9]}}, "field validation.best must be a number"),
    ({"baseline": {"name": "acc", "value": 0.5, "x": {"class_path": "os.system"}}}, "baseline.x.class_path"),
    ({"plots": ["../../../etc/passwd"]}, "field plots[0] must be a relative path inside the run folder"),
    ({"plots": ["/etc/passwd"]}, "field plots[0] must be a relative path inside the run folder"),
    ({"plots": ["C:\\Windows\\x.png"]}, "field plots[0] must be a relative path inside the run folder"),
    ({"machine": {"cpu": "x", "cores": "two", "torch": "2", "precision": "32"}}, "field machine.cores"),
    ({"matches": {"class_path": "subprocess.Popen", "init_args": {}}}, "field matches.class_path"),
])
def test_a_malformed_record_is_refused_naming_the_file_and_field(tmp_path, change, message):
    data = {**full_record(tmp_path).to_dict(), **change}
    data = {k: v for k, v in data.items() if v is not None or k != "headline"}
    (tmp_path / "metrics.json").write_text(json.dumps(data))
    with pytest.raises(InputError) as e:
        RunRecord.read(tmp_path / "metrics.json")
    assert str(tmp_path / "metrics.json") in str(e.value) and message in str(e.value)


@pytest.mark.parametrize("text, message", [
    ("[1, 2, 3]", "the file must be a JSON object, got a JSON list"),
    ('{"app": "x",', r"metrics.json line 1, column 13: not valid JSON"),
    ("[" * 100000 + "]" * 100000, "nested more than 32 levels deep"),
    (b"\xff\xfe{}", "not UTF-8"),
])
def test_a_file_that_is_no_record_is_refused(tmp_path, text, message):
    path = tmp_path / "metrics.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InputError, match=message):
        RunRecord.read(path)


def test_a_missing_or_huge_file_is_refused(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="no such file"):
        RunRecord.read(tmp_path / "nowhere" / "metrics.json")
    monkeypatch.setattr("zoo.runtime.record.MAX_BYTES", 100)
    (tmp_path / "metrics.json").write_text(" " * 200 + "{}")
    with pytest.raises(InputError, match="a run record is at most 100"):
        RunRecord.read(tmp_path)


def test_a_class_path_is_refused_as_a_refused_file(tmp_path):
    data = {**full_record(tmp_path).to_dict(), "hook": {"class_path": "os.system"}}
    (tmp_path / "metrics.json").write_text(json.dumps(data))
    with pytest.raises(RefusedFile, match="nothing was imported"):
        RunRecord.read(tmp_path)
