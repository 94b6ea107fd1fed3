"""One writer (zoo.trust.runfolder): output goes only into folders zoo-suite made, never through a link, and a
model.old/ left by a killed save never blocks the next one. Issue 27, cases 6 (foreign folders), 7 (links) and
8 (stale model.old/), each through the command a user would run; then RunFolder itself."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import zoo
from tests.zoo.helpers import QUIET, zoo_exit
from zoo.errors import RefusedFile
from zoo.outputs import write_json
from zoo.trust.runfolder import MARKER, RunFolder, checked_path, replace_folder, write_text

from .conftest import CONFIGS


def refused(code: int, err: str, names: Path) -> None:
    """Exit 2, one line, no traceback, naming the folder."""
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert str(names) in err, err


def foreign(path: Path) -> dict[str, str]:
    """A user's own folder: files zoo-suite did not write. Returns its contents, to compare after."""
    (path / "notes").mkdir(parents=True)
    (path / "thesis.tex").write_text("years of work")
    (path / "notes" / "day1.txt").write_text("ideas")
    return contents(path)


def contents(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): p.read_text() for p in sorted(path.rglob("*")) if p.is_file()}


def run_copy(vision_run: Path, tmp_path: Path) -> Path:
    run = tmp_path / "runs" / "vision" / "copy"
    shutil.copytree(vision_run, run, symlinks=True)
    return run


# -- case 6: folders zoo-suite did not make ----------------------------------------------------------------------
def test_evaluate_out_into_a_foreign_folder_is_refused(vision_run, tmp_path, capsys):
    mine = tmp_path / "mine"
    before = foreign(mine)
    code, err = zoo_exit(["vision", "evaluate", "--ckpt", str(vision_run / "checkpoints" / "best.ckpt"),
                          "--out", str(mine), "--max-samples", "20"], capsys)
    refused(code, err, mine)
    assert contents(mine) == before


def test_export_out_into_a_foreign_folder_is_refused(vision_run, tmp_path, capsys):
    mine = tmp_path / "mine"
    before = foreign(mine)
    code, err = zoo_exit(["export", str(vision_run), "--out", str(mine)], capsys)
    refused(code, err, mine)
    assert contents(mine) == before


def test_sweep_out_into_a_foreign_folder_is_refused(tmp_path, capsys):
    mine = tmp_path / "mine"
    before = foreign(mine)
    code, err = zoo_exit(["sweep", "vision", "--lr", "1e-3", "--batch-size", "64", "--budget", "1steps",
                          "--out", str(mine)], capsys)
    refused(code, err, mine)
    assert contents(mine) == before  # no study.db, no trials/


def test_vision_test_with_the_name_of_a_foreign_folder_is_refused(vision_run, tmp_path, capsys):
    mine = tmp_path / "runs" / "vision" / "mine"
    before = foreign(mine)
    code, err = zoo_exit(["vision", "test", "-c", str(CONFIGS / "digits_demo.yaml"), "--runs_dir",
                          str(tmp_path / "runs"), "--name", "mine",
                          "--ckpt_path", str(vision_run / "checkpoints" / "best.ckpt")] + QUIET, capsys)
    refused(code, err, mine)
    assert contents(mine) == before  # no test_logs/ among the user's files


def test_fit_refuses_a_foreign_folder_before_renaming_its_metrics_csv(tmp_path, capsys):
    mine = tmp_path / "runs" / "vision" / "mine"
    (mine / "csv").mkdir(parents=True)
    (mine / "csv" / "metrics.csv").write_text("epoch,loss\n0,1.0\n")
    before = contents(mine)
    code, err = zoo_exit(["vision", "fit", "-c", str(CONFIGS / "digits_demo.yaml"), "--runs_dir",
                          str(tmp_path / "runs"), "--name", "mine", "--trainer.max_epochs", "1"] + QUIET, capsys)
    refused(code, err, mine)
    assert contents(mine) == before  # metrics.csv where it was, not moved to metrics.<time>.csv


# -- case 7: links are never followed ----------------------------------------------------------------------------
def test_a_linked_plots_folder_is_refused(vision_run, tmp_path, capsys):
    run, outside = run_copy(vision_run, tmp_path), tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(run / "plots", ignore_errors=True)
    (run / "plots").symlink_to(outside)
    code, err = zoo_exit(["vision", "evaluate", "--ckpt", str(run / "checkpoints" / "best.ckpt"),
                          "--max-samples", "20"], capsys)
    refused(code, err, run / "plots")
    assert not any(outside.iterdir())


def test_a_linked_export_folder_is_refused(vision_run, tmp_path, capsys):
    run, outside = run_copy(vision_run, tmp_path), tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(run / "export", ignore_errors=True)
    (run / "export").symlink_to(outside)
    code, err = zoo_exit(["export", str(run)], capsys)
    refused(code, err, run / "export")
    assert not any(outside.iterdir())


def test_a_linked_tokenizer_is_not_copied_into_an_export(vision_run, tmp_path, capsys):
    run, secret = run_copy(vision_run, tmp_path), tmp_path / "shadow"
    secret.write_text("root:$6$secret")
    (run / "model" / "tokenizer.json").symlink_to(secret)
    out = tmp_path / "export"
    code, err = zoo_exit(["export", str(run), "--out", str(out)], capsys)
    refused(code, err, run / "model" / "tokenizer.json")
    assert not out.exists()  # refused before the export's folder was made: nothing copied anywhere


# -- case 8: a model.old/ left by a killed save ------------------------------------------------------------------
def test_a_stale_model_old_is_cleared_and_the_next_finish_succeeds(vision_run, tmp_path, capsys):
    run = run_copy(vision_run, tmp_path)
    shutil.copytree(run / "model", run / "model.old")  # killed after the new model/ was renamed in
    code, err = zoo_exit(["vision", "fit", "-c", str(CONFIGS / "digits_demo.yaml"), "--runs_dir",
                          str(tmp_path / "runs"), "--name", "copy", "--ckpt_path", "last",
                          "--trainer.max_epochs", "2"] + QUIET, capsys)
    assert code in (0, None), err
    assert (run / "model" / "model.safetensors").is_file() and not (run / "model.old").exists()
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2


def test_save_pretrained_recovers_a_model_old_left_between_its_two_renames(tmp_path):
    model = zoo.create_model("cnn_small", in_channels=1, num_outputs=3)
    folder = zoo.save_pretrained(model, tmp_path / "model")
    folder.rename(tmp_path / "model.old")  # killed after moving the old version aside, before the new one came
    zoo.save_pretrained(model, tmp_path / "model")
    assert (tmp_path / "model" / "config.json").is_file() and not (tmp_path / "model.old").exists()
    (tmp_path / "model.old").mkdir()
    (tmp_path / "model.old" / "thesis.tex").write_text("years of work")  # a user's own folder of that name
    with pytest.raises(RefusedFile, match="model.old"):
        zoo.save_pretrained(model, tmp_path / "model")
    assert (tmp_path / "model.old" / "thesis.tex").read_text() == "years of work"


# -- RunFolder itself --------------------------------------------------------------------------------------------
def test_claim_makes_marks_accepts_its_own_and_refuses_a_foreign_folder(tmp_path):
    made = RunFolder.claim(tmp_path / "a" / "new")
    assert (made.root / MARKER).is_file() and RunFolder.claim(made.root).root == made.root
    (tmp_path / "empty").mkdir()
    assert RunFolder.claim(tmp_path / "empty").root == tmp_path / "empty"
    before = foreign(tmp_path / "mine")
    with pytest.raises(RefusedFile, match="not written by zoo-suite"):
        RunFolder.claim(tmp_path / "mine")
    with pytest.raises(RefusedFile, match="not a run folder"):
        RunFolder.open(tmp_path / "mine")
    assert contents(tmp_path / "mine") == before


def test_claim_refuses_a_link_and_a_linked_folder_inside_the_runs_root(tmp_path):
    outside = RunFolder.claim(tmp_path / "outside").root  # even a marked target: the link is what is refused
    (tmp_path / "link").symlink_to(outside)
    with pytest.raises(RefusedFile, match="symbolic link"):
        RunFolder.claim(tmp_path / "link")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "vision").symlink_to(outside)
    with pytest.raises(RefusedFile, match="symbolic link"):
        RunFolder.claim(tmp_path / "runs" / "vision" / "run", within=tmp_path / "runs")
    with pytest.raises(RefusedFile, match="outside"):
        RunFolder.claim(tmp_path / "runs" / ".." / "elsewhere", within=tmp_path / "runs")
    assert sorted(p.name for p in outside.iterdir()) == [MARKER]


def test_a_final_name_that_is_a_link_is_never_written_through(tmp_path):
    run = RunFolder.claim(tmp_path / "run")
    target = tmp_path / "bashrc"
    target.write_text("mine")
    (run.root / "metrics.json").symlink_to(target)
    for write in (lambda: run.write_text("metrics.json", "{}"), lambda: write_json(run.root / "metrics.json", {}),
                  lambda: checked_path(run.root / "metrics.json")):
        with pytest.raises(RefusedFile, match="symbolic link"):
            write()
    (tmp_path / "dangling").symlink_to(tmp_path / "would-be-made")  # O_NOFOLLOW: not created through either
    with pytest.raises(RefusedFile):
        write_text(tmp_path / "dangling", "x")
    assert target.read_text() == "mine" and not (tmp_path / "would-be-made").exists()


def test_a_linked_parent_inside_a_run_folder_is_refused(tmp_path):
    run, outside = RunFolder.claim(tmp_path / "run"), tmp_path / "outside"
    outside.mkdir()
    (run.root / "plots").symlink_to(outside)
    with pytest.raises(RefusedFile, match="symbolic link"):
        run.subdir("plots")
    with pytest.raises(RefusedFile, match="symbolic link"):
        run.write_bytes("plots/a/b.png", b"png")
    with pytest.raises(RefusedFile, match="symbolic link"):  # a writer given a whole path finds the run folder
        write_json(run.root / "plots" / "deeper" / "x.json", {})
    with pytest.raises(ValueError, match="relative"):
        run.write_text("../escape.txt", "x")
    assert not any(outside.iterdir()) and not (tmp_path / "escape.txt").exists()
    assert write_json(run.root / "fresh" / "deeper" / "ok.json", {"a": 1}).is_file()  # folders made, no link


def test_replace_folder_swaps_whole_and_clears_its_own_stale_old(tmp_path):
    run = RunFolder.claim(tmp_path / "run")
    ours = lambda folder: (folder / "ours").is_file()  # noqa: E731
    build = lambda n: lambda tmp: (tmp / "ours").write_text(str(n))  # noqa: E731
    run.replace_dir("thing", build(1), ours)
    (run.root / "thing.old").mkdir()  # a killed swap's leftover: ours
    (run.root / "thing.old" / "ours").write_text("0")
    run.replace_dir("thing", build(2), ours)
    assert (run.root / "thing" / "ours").read_text() == "2" and not (run.root / "thing.old").exists()

    def fails(tmp: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_folder(run.root / "thing", fails, ours)
    assert (run.root / "thing" / "ours").read_text() == "2"  # the earlier version, untouched
    assert sorted(p.name for p in run.root.iterdir()) == [MARKER, "thing"]  # no temporary folder left
