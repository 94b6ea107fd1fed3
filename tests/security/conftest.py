"""Hostile files: a real checkpoint, run folder and model folder, and ways to poison copies of them.

Every payload asks for ``subprocess.Popen(["touch", MARKER])``; a test passes only when the command refuses the
file with a one-line error (exit 2) and the marker was never created.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from zoo.runtime import cli

CONFIGS = Path(__file__).resolve().parents[2] / "apps" / "vision" / "configs"


def popen_payload(marker: Path) -> dict:
    return {"class_path": "subprocess.Popen", "init_args": {"args": ["touch", str(marker)]}}


@pytest.fixture(scope="session")
def vision_run(tmp_path_factory) -> Path:
    """A real (tiny) vision run: config.yaml, checkpoints/best.ckpt and last.ckpt, model/."""
    runs = tmp_path_factory.mktemp("runs")
    assert cli.main(["vision", "fit", "-c", str(CONFIGS / "digits_demo.yaml"), "--runs_dir", str(runs),
                     "--name", "base", "--trainer.max_epochs", "1", "--extra_eval", "false",
                     "--gradient_health_every", "0", "--trainer.enable_progress_bar", "false"]) == 0
    return runs / "vision" / "base"


@pytest.fixture(scope="session")
def nlp_run(tmp_path_factory) -> Path:
    """A real (tiny) translation run: config.yaml, metrics.json, model/ with its tokenizer.json."""
    from tests.apps.nlp.serve_runs import tiny_run

    return tiny_run(tmp_path_factory.mktemp("runs"), steps=1)


@pytest.fixture
def marker(tmp_path) -> Path:
    path = tmp_path / "PWNED"
    yield path
    assert not path.exists(), "a hostile file ran code"


def poisoned_checkpoint(source: Path, dest: Path, poison) -> Path:
    """A copy of ``source`` whose hyperparameters ``poison(hparams)`` changed in place."""
    ckpt = torch.load(source, weights_only=True)
    hparams = copy.deepcopy(ckpt["hyper_parameters"])
    poison(hparams)
    ckpt["hyper_parameters"] = hparams
    dest.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, dest)
    return dest


def copy_run(run: Path, dest: Path) -> Path:
    shutil.copytree(run, dest)
    return dest


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path
