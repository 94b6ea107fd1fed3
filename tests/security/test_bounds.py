"""Bounded work (issue 27, cases 4, 5b and 10): every size-like value a file or a flag sets is checked against
``zoo.trust.bounds`` before anything is allocated, built, decoded or decoded-to; each refusal is one line (exit 2)
that names the field and its bound, in well under 5 seconds."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import lightning  # noqa: F401  (imported here: its log handler binds stderr at import, not inside a capsys test)
import pytest
import torch
import yaml
from PIL import Image

import zoo
from tests.security.conftest import CONFIGS, copy_run, poisoned_checkpoint
from zoo.errors import InputError
from zoo.runtime import cli
from zoo.trust import bounds


def refused(argv: list[str], capsys, seconds: float = 5.0) -> str:
    """Run `zoo ARGV`: exit 2, one line on stderr, no traceback, within ``seconds``. Returns that line."""
    start = time.perf_counter()
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code
    took = time.perf_counter() - start
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    # Lightning's seed notice (a log record, printed before the config is instantiated) is not part of the error
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("INFO: Seed set to")]
    assert len(lines) == 1, err
    assert took < seconds, f"took {took:.1f} s"
    return lines[0]


@pytest.fixture
def image(tmp_path) -> Path:
    path = tmp_path / "digit.png"
    Image.new("L", (8, 8), 128).save(path)
    return path


def set_model(**sizes):
    def poison(hp):
        hp["model_config"] = {**hp["model_config"], **sizes}
        hp["model_kwargs"] = {**hp["model_kwargs"], **sizes}
    return poison


# -- case 4: memory from a file ------------------------------------------------------------------------------------
@pytest.mark.parametrize("sizes, field, bound", [
    ({"width": 10**9}, "width", "16,384"),
    ({"depth": 200_000}, "depth", "512"),
    ({"width": "abc"}, "width", "16,384"),
    ({"width": -4}, "width", "16,384"),
    ({"depth": 512, "width": 16_384}, "parameters", "2,000,000,000"),  # each in range, together too much
])
def test_huge_or_wrong_sizes_in_a_checkpoint_are_refused(vision_run, tmp_path, image, capsys, sizes, field, bound):
    ckpt = poisoned_checkpoint(vision_run / "checkpoints" / "best.ckpt", tmp_path / "big.ckpt", set_model(**sizes))
    line = refused(["vision", "classify", "--ckpt", str(ckpt), str(image)], capsys)
    assert "big.ckpt" in line and field in line and bound in line


def test_heads_zero_is_one_line_not_a_zero_division(vision_run, tmp_path, image, capsys):
    def transformer(hp):
        hp["model_config"] = {**hp["model_config"], "name": "transformer_small", "heads": 0}
    ckpt = poisoned_checkpoint(vision_run / "checkpoints" / "best.ckpt", tmp_path / "h.ckpt", transformer)
    assert "heads=0" in refused(["vision", "classify", "--ckpt", str(ckpt), str(image)], capsys)


def test_parameters_over_the_bound_are_refused_after_a_meta_build():
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"parameters \(over 2,000,000,000\)"):
        bounds.meta_build("transformer_small", {"in_kind": "tokens", "vocab_size": 1_000_000, "width": 16_384,
                                                "heads": 8, "depth": 1}, "test")
    assert time.perf_counter() - start < 5
    with pytest.raises(InputError, match=r"values per image for training \(over 4,000,000,000\)"):
        bounds.meta_build("cnn_small", {"image_size": 2048, "width": 256, "depth": 64}, "test")


@pytest.mark.parametrize("command", ["fit", "test"])
def test_ckpt_path_merge_refuses_huge_sizes(vision_run, tmp_path, capsys, command):
    ckpt = poisoned_checkpoint(vision_run / "checkpoints" / "last.ckpt", tmp_path / "big.ckpt",
                               set_model(width=10**9))
    line = refused(["vision", command, "-c", str(CONFIGS / "digits_demo.yaml"), "--runs_dir",
                    str(tmp_path / "runs"), "--ckpt_path", str(ckpt)], capsys, seconds=30)
    assert "width" in line and "16,384" in line


@pytest.mark.parametrize("sizes, field", [({"depth": 200_000}, "depth"), ({"width": "abc"}, "width"),
                                          ({"kernel_size": 0}, "kernel_size")])
def test_a_model_folder_config_json_is_bounded_before_building(vision_run, tmp_path, sizes, field):
    folder = tmp_path / "model"
    shutil.copytree(vision_run / "model", folder)
    meta = json.loads((folder / "config.json").read_text())
    meta["config"].update(sizes)
    (folder / "config.json").write_text(json.dumps(meta))
    start = time.perf_counter()
    with pytest.raises(InputError, match=rf"config\.json: {field}"):
        zoo.from_pretrained(folder)
    assert time.perf_counter() - start < 5


# -- case 5b: decoding is bounded ----------------------------------------------------------------------------------
def test_translate_refuses_a_huge_max_decode_len(tmp_path, capsys):
    line = refused(["nlp", "translate", "--ckpt", str(tmp_path / "any.ckpt"), "--max_decode_len", "10000000",
                    "the cat"], capsys)
    assert "max_decode_len" in line and "2,048" in line


def test_a_checkpoint_asking_for_a_huge_decode_length_is_refused(nlp_run, tmp_path, capsys):
    from apps.nlp import serve

    task = serve.load_run(str(nlp_run))
    hparams = {**dict(task.hparams), "max_decode_len": 10_000_000}
    hparams.pop("init_from", None)
    ckpt = tmp_path / "long.ckpt"
    torch.save({"state_dict": task.state_dict(), "hyper_parameters": hparams}, ckpt)
    line = refused(["nlp", "translate", "--ckpt", str(ckpt), "the cat"], capsys)
    assert "max_decode_len" in line and "2,048" in line


def test_the_serve_page_refuses_a_run_config_with_a_huge_decode_length(nlp_run, tmp_path):
    from apps.nlp import serve

    run = copy_run(nlp_run, tmp_path / "long")
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["model"]["max_decode_len"] = 10_000_000
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(InputError, match="max_decode_len=10,000,000 is out of bounds"):
        serve.load_run(str(run))


def test_decoding_is_capped_by_the_source_length(nlp_run):
    from apps.nlp import serve
    from zoo.decoding import greedy_decode

    assert bounds.decode_limit(2048, 3) == 62 and bounds.decode_limit(16, 3) == 16
    assert bounds.decode_limit(10**9, 10**6) == bounds.MAX_DECODE_LEN
    task = serve.load_run(str(nlp_run))
    task.hparams.max_decode_len = 2048
    out = task.decode_ids([[5, 6, 7]], beam_size=1)
    assert len(out[0]) <= 62
    with pytest.raises(InputError, match="max_len"):
        greedy_decode(task.model, torch.tensor([[5, 6, 7]]), 10_000_000)


# -- case 10: unbounded work in preprocessing, images and RL -------------------------------------------------------
def test_image_size_60000_in_a_run_config_is_refused(vision_run, tmp_path, capsys):
    run = copy_run(vision_run, tmp_path / "run")
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["data"].setdefault("init_args", {})["image_size"] = 60_000
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    line = refused(["vision", "evaluate", "--ckpt", str(run / "checkpoints" / "best.ckpt")], capsys)
    assert "image_size=60,000" in line and "2,048" in line


def test_image_size_60000_in_a_checkpoint_data_spec_is_refused(vision_run, tmp_path, image, capsys):
    def spec(hp):
        hp["data_spec"] = {**hp["data_spec"], "image_size": 60_000}
    ckpt = poisoned_checkpoint(vision_run / "checkpoints" / "best.ckpt", tmp_path / "s.ckpt", spec)
    assert "image_size=60,000" in refused(["vision", "classify", "--ckpt", str(ckpt), str(image)], capsys)


def test_image_size_60000_in_preprocessing_json_is_refused(vision_run, tmp_path):
    from apps.vision.serve import Classifier

    folder = tmp_path / "model"
    shutil.copytree(vision_run / "model", folder)
    prep = json.loads((folder / "preprocessing.json").read_text())
    (folder / "preprocessing.json").write_text(json.dumps({**prep, "image_size": 60_000}))
    with pytest.raises(InputError, match="image_size=60,000 is out of bounds"):
        Classifier(folder)


def multi_frame(path: Path, size=(64, 64), frames=3) -> Path:
    images = [Image.new("L", size, 40 * i) for i in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:])
    return path


@pytest.mark.parametrize("name", ["anim.gif", "pages.tif", "anim.png"])
def test_a_multi_frame_image_is_refused_before_decoding(vision_run, tmp_path, capsys, monkeypatch, name):
    from apps.vision import imagefolder

    def no_decoding(*args):
        raise AssertionError("decoded")
    monkeypatch.setattr(imagefolder, "unit_pixels", no_decoding)
    path = multi_frame(tmp_path / name)
    line = refused(["vision", "classify", "--strict", "--ckpt", str(vision_run / "checkpoints" / "best.ckpt"),
                    str(path)], capsys)
    assert name in line and "3 frames" in line


def test_the_serve_page_refuses_a_multi_frame_upload_before_decoding(tmp_path):
    import gradio as gr

    from apps.vision.serve import checked_upload

    class Upload:
        path, orig_name = str(multi_frame(tmp_path / "anim.gif")), "anim.gif"

    def decode(payload):
        raise AssertionError("decoded")
    with pytest.raises(gr.Error, match="3 frames"):
        checked_upload(Upload(), decode)


def test_an_oversize_image_is_refused_from_its_header(tmp_path, monkeypatch):
    from apps.vision import imagefolder

    path = tmp_path / "big.png"
    Image.new("L", (9000, 9000)).save(path)  # 81 megapixels, a small file
    monkeypatch.setattr(imagefolder, "unit_pixels", lambda *a: pytest.fail("decoded"))
    with pytest.raises(InputError, match="9000x9000"):
        imagefolder.load_image(path, 1, 8)


def test_an_image_folder_too_big_after_resizing_is_refused_before_decoding(tmp_path):
    from apps.vision.imagefolder import ImageFolderDataModule

    for i in range(3):
        (tmp_path / "a").mkdir(exist_ok=True)
        Image.new("RGB", (8, 8)).save(tmp_path / "a" / f"{i}.png")
    with pytest.raises(InputError, match="image_size=60,000"):
        ImageFolderDataModule(str(tmp_path), image_size=60_000)
    dm = ImageFolderDataModule(str(tmp_path), image_size=2048)
    bounds_before = bounds.MAX_DATASET_VALUES
    try:
        bounds.MAX_DATASET_VALUES = 1000
        with pytest.raises(InputError, match="use a smaller image_size"):
            dm.setup()
    finally:
        bounds.MAX_DATASET_VALUES = bounds_before


TINY_RL = dict(game="tictactoe", model="resnet_small", model_kwargs={"depth": 1, "width": 8}, games_per_iteration=4,
               simulations=4, train_steps=2, batch_size=16, eval_every=1, eval_games=2, final_eval_games=2,
               eval_simulations=2, workers=1)


@pytest.mark.parametrize("changes, problem", [
    ({"workers": 1000}, r"workers=1,000 is out of bounds \(at most \d+"),
    ({"workers": "abc"}, "workers must be a whole number"),
    ({"simulations": 10**9}, "simulations=1,000,000,000 is out of bounds"),
    ({"model_kwargs": {"width": 10**9}}, "width=1,000,000,000 is out of bounds"),
])
def test_rl_settings_are_bounded(tmp_path, changes, problem):
    from apps.rl.train import Settings, train

    with pytest.raises(InputError, match=problem):
        train(Settings(**{**TINY_RL, **changes}), tmp_path / "run")
    assert not (tmp_path / "run").exists()


# -- case 10: science sizes (PDE grids and samples, DNA lengths) --------------------------------------------------
def test_pde_grids_and_sample_counts_are_refused_before_solving(tmp_path, capsys):
    from apps.science.pde.app import APP

    start = time.perf_counter()
    for argv, problem in [(["--pde", "darcy", "--n", "3", "--resolution", "60000"], "resolution=60,000"),
                          (["--n", "1000000000"], "n=1,000,000,000")]:
        with pytest.raises(SystemExit) as e:
            APP.main(["generate", *argv, "--out", str(tmp_path / "d.npz")])
        assert e.value.code == 2 and problem in capsys.readouterr().err
    assert time.perf_counter() - start < 5 and not (tmp_path / "d.npz").exists()
    pde = Path(__file__).resolve().parents[2] / "apps" / "science" / "pde" / "configs" / "burgers_quick.yaml"
    for flag, value, problem in [("resolution", "60000", "resolution=60,000 is out of bounds (from 2 to 8,192)"),
                                 ("n_train", "10000000", "n_train=10,000,000 is out of bounds")]:
        line = refused(["science", "pde", "fit", "-c", str(pde), f"--data.init_args.{flag}", value, "--runs_dir",
                        str(tmp_path / "runs")], capsys)
        assert problem in line
    assert not (tmp_path / "runs").exists()


def test_dna_lengths_are_refused_before_encoding(tmp_path, capsys):
    from apps.science.genomics.data import GenomicsDataModule
    from apps.science.genomics.task import ActivityTask

    task = ActivityTask(model="cnn_small", model_kwargs={"depth": 1, "width": 8}, data_spec={"length": 40})
    ckpt = tmp_path / "long.ckpt"
    torch.save({"state_dict": task.state_dict(),
                "hyper_parameters": {**dict(task.hparams), "data_spec": {"length": 10_000_000}}}, ckpt)
    capsys.readouterr()  # the metric's warning when building the task above
    line = refused(["science", "genomics", "score", "--ckpt", str(ckpt), "ACGT"], capsys)
    assert "data_spec: length=10,000,000 is out of bounds (from 1 to 10,000)" in line
    demo = Path(__file__).resolve().parents[2] / "apps" / "science" / "genomics" / "configs" / "synthetic_demo.yaml"
    line = refused(["science", "genomics", "fit", "-c", str(demo), "--data.init_args.length", "10000000",
                    "--runs_dir", str(tmp_path / "runs")], capsys)
    assert "length=10,000,000 is out of bounds" in line
    table = tmp_path / "one_long.tsv"  # no length set: the longest sequence in the file sets it
    table.write_text("".join(f"{'ACGT' * (5000 if i == 0 else 10)}\t{i}\n" for i in range(20)))
    with pytest.raises(InputError, match="one_long.tsv: length=20,000 is out of bounds"):
        GenomicsDataModule("table", path=str(table)).setup()


def test_translate_refuses_a_huge_beam_or_batch(tmp_path, capsys):
    for flag, value in [("--beam", "1000000"), ("--batch-size", "100000000")]:
        line = refused(["nlp", "translate", "--ckpt", str(tmp_path / "any.ckpt"), flag, value, "the cat"], capsys)
        assert flag in line and "out of bounds" in line


def test_every_bound_is_in_the_documented_table():
    doc = bounds.__doc__
    for name in [*bounds.MODEL_INTS, *bounds.MODEL_FLOATS, *bounds.TASK_INTS, *bounds.DATA_INTS,
                 *bounds.GENOMICS_INTS, *bounds.PDE_INTS, "GENOMICS_INTS", "PDE_INTS", "MAX_FIELD_VALUES"]:
        assert name in doc, name
    assert "RL_MAXIMUM" in doc and "workers" in doc and "n_frames" in doc
