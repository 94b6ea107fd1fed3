"""What an attacker found beyond the cases issue 27 listed, each now a regression test: a JSON file that made the
bracket check quadratic, logger folder names that led out of the run folder, an image that PIL would have handed
to Ghostscript, a FIFO named as an image, checkpoint values of the wrong shape, and a FASTA file of two million
bad records."""

from __future__ import annotations

import os
import subprocess
import time

import lightning  # noqa: F401  (imported here: its log handler binds stderr at import, not inside a capsys test)
import pytest
import torch
from PIL import Image

from tests.security.conftest import poisoned_checkpoint
from tests.security.test_bounds import refused
from tests.security.test_config_sources import fit
from zoo.errors import InputError
from zoo.runtime import cli
from zoo.trust.reader import load_json


@pytest.mark.parametrize("text", ['"' + '\\"' * 1_000_000, '["' + '\\\\' * 1_000_000, '{"a": "' + "x" * 3_000_000])
def test_the_json_bracket_check_is_one_pass_on_any_text(text):
    """An unclosed string of escaped quotes made the old check rescan from every quote: 80 KB took 18 s."""
    start = time.perf_counter()
    with pytest.raises(InputError, match="not valid JSON"):
        load_json(text, "m/config.json")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("logger,args,field", [
    ("TensorBoardLogger", "{save_dir: SAVE, name: /tmp/zoo-escaped}", "name"),
    ("TensorBoardLogger", "{save_dir: SAVE, name: tb, sub_dir: ../../../../escaped}", "sub_dir"),
    ("CSVLogger", "{save_dir: SAVE, name: ../../../escaped}", "name"),
    ("CSVLogger", "{save_dir: SAVE, name: csv, version: /tmp/zoo-escaped}", "version"),
    ("CSVLogger", "{save_dir: rel_inside}", "save_dir"),  # Lightning takes it from the working folder
    ("MLFlowLogger", "{experiment_name: x}", "MLFlowLogger"),  # would write ./mlruns in the working folder
])
def test_a_logger_from_a_file_cannot_name_a_folder_outside_the_run(tmp_path, capsys, monkeypatch, logger, args, field):
    monkeypatch.chdir(tmp_path)
    save = tmp_path / "runs" / "vision" / "t"  # the run folder itself: allowed as a save_dir
    (tmp_path / "log.yaml").write_text(f"trainer:\n  logger:\n    - class_path: {logger}\n"
                                       f"      init_args: {args.replace('SAVE', str(save))}\n")
    assert field in refused(fit(tmp_path, "-c", str(tmp_path / "log.yaml")), capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.yaml"]  # nothing made, here or in runs/


def test_a_plain_logger_name_inside_the_run_folder_is_accepted(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save = tmp_path / "runs" / "vision" / "t"
    (tmp_path / "log.yaml").write_text(f"trainer:\n  logger:\n    - class_path: CSVLogger\n"
                                       f"      init_args: {{save_dir: {save}, name: mine, version: 3}}\n")
    assert cli.main(fit(tmp_path, "-c", str(tmp_path / "log.yaml"))) == 0
    assert (save / "mine" / "version_3" / "metrics.csv").is_file()


@pytest.fixture
def no_subprocess(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"an external program was started: {args[:1]}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


def test_postscript_named_png_is_never_handed_to_ghostscript(vision_run, tmp_path, capsys, no_subprocess):
    evil = tmp_path / "evil.png"
    evil.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\n(x) print\nshowpage\n")
    ok = tmp_path / "ok.png"
    Image.new("L", (8, 8), 100).save(ok)
    assert cli.main(["vision", "classify", "--ckpt", str(vision_run / "checkpoints" / "best.ckpt"), str(evil),
                     str(ok)]) == 2  # the good image is classified, the bad one reported
    captured = capsys.readouterr()
    assert "evil.png: skipped: " in captured.err and "cannot identify image file" in captured.err  # not as EPS
    assert "ok.png" in captured.out and "Traceback" not in captured.err


def test_a_fifo_named_as_an_image_is_refused_without_waiting(vision_run, tmp_path, capsys):
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    start = time.perf_counter()
    assert cli.main(["vision", "classify", "--ckpt", str(vision_run / "checkpoints" / "best.ckpt"), str(fifo)]) == 2
    assert "not a regular file" in capsys.readouterr().err and time.perf_counter() - start < 5


def _spec(**change):
    def poison(hp):
        hp["data_spec"] = {**hp["data_spec"], **change} if change else "x"
    return poison


@pytest.mark.parametrize("poison", [_spec(), _spec(class_names=5), _spec(mean=None), _spec(mean="abc")],
                         ids=["spec_is_a_string", "class_names_int", "mean_none", "mean_string"])
def test_checkpoint_values_of_the_wrong_shape_are_one_line(vision_run, tmp_path, capsys, poison):
    ckpt = poisoned_checkpoint(vision_run / "checkpoints" / "best.ckpt", tmp_path / "bad.ckpt", poison)
    image = tmp_path / "x.png"
    Image.new("L", (8, 8), 100).save(image)
    assert "bad.ckpt" in refused(["vision", "classify", "--ckpt", str(ckpt), str(image)], capsys)


def test_a_state_dict_with_a_key_that_is_not_a_name_is_one_line(vision_run, tmp_path, capsys):
    ckpt = torch.load(vision_run / "checkpoints" / "best.ckpt", weights_only=True)
    ckpt["state_dict"][1] = torch.zeros(1)
    torch.save(ckpt, tmp_path / "bad.ckpt")
    image = tmp_path / "x.png"
    Image.new("L", (8, 8), 100).save(image)
    assert "state_dict" in refused(["vision", "classify", "--ckpt", str(tmp_path / "bad.ckpt"), str(image)], capsys)


def test_many_bad_records_are_counted_not_each_printed(capsys):
    from zoo.errors import BadItems

    bad = BadItems("zoo x", shown=3)
    for i in range(1000):
        bad(f"record {i} is bad")
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["record 0 is bad", "record 1 is bad", "record 2 is bad",
                     "zoo x: more bad inputs; they are counted, not shown"] and bad.count == 1000


# -- the second round --------------------------------------------------------------------------------------------
def test_a_uci_position_longer_than_any_game_is_refused_at_once():
    """Replaying a position copies its history each ply: 100,000 knight shuffles blocked the engine for 27 s."""
    from apps.rl.games.chess_game import Chess
    from apps.rl.uci import MAX_LINE, MAX_POSITION_PLIES, position_from

    shuffle = ["g1f3", "g8f6", "f3g1", "f6g8"]
    words = ["startpos", "moves", *(shuffle[i % 4] for i in range(MAX_POSITION_PLIES + 1))]
    start = time.perf_counter()
    with pytest.raises(ValueError, match="at most 12,000"):
        position_from(words, Chess())
    assert time.perf_counter() - start < 1.0
    assert len(" ".join(words[:2] + words[2:MAX_POSITION_PLIES + 2])) < MAX_LINE  # a whole game fits on a line


def test_a_uci_line_over_the_bound_is_answered_not_parsed():
    from apps.rl.games.chess_game import Chess
    from apps.rl.uci import MAX_LINE, Engine
    from tests.apps.rl.test_uci import uniform

    lines: list[str] = []
    engine = Engine(uniform(Chess()), simulations=4, write=lines.append)
    assert engine.handle("position fen " + "x" * (MAX_LINE + 1)) and "characters ignored" in lines[-1]
    assert engine.handle("x" * 5000) and len(lines[-1]) < 200  # an unknown command is not echoed whole
    engine.stop()


@pytest.mark.parametrize("kind", ["fifo", "folder", "missing"])
def test_a_ckpt_path_that_is_not_a_regular_file_leaves_no_run_folder(tmp_path, capsys, kind):
    path = tmp_path / "x.ckpt"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    line = refused(fit(tmp_path, "--ckpt_path", str(path)), capsys)
    assert "--ckpt_path" in line and not (tmp_path / "runs").exists()


def test_beams_times_batch_is_bounded_before_anything_is_read(tmp_path, capsys):
    from zoo.trust.bounds import MAX_HYPOTHESES

    line = refused(["nlp", "translate", "--ckpt", str(tmp_path / "any.ckpt"), "--beam", "64", "--batch-size",
                    "65536", "the cat"], capsys)
    assert f"{MAX_HYPOTHESES:,}" in line


def test_the_writer_never_replaces_a_device_or_fifo(tmp_path):
    from zoo.trust.runfolder import write_bytes

    fifo = tmp_path / "out.png"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        write_bytes(fifo, b"png")
    assert fifo.is_fifo()


def test_a_bad_flag_of_a_commands_own_parser_is_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["nlp", "translate", "--ckpt", "x", "--beam", "-1", "hi"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1 and "--beam" in err and "usage" not in err
