"""zoo-suite installed as a package, not run from the checkout: the wheel built from this tree, installed into a
fresh virtual environment outside the repository, works from an empty folder (presets by name, packaged configs,
data found through $ZOO_DATA or beside the checkout, never through the working folder)."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(argv: list, cwd: Path, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{argv}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict]:
    """(the fresh environment's bin/, an empty working folder, the environment variables). The wheel is built
    offline with this environment's setuptools; its dependencies come from this environment's site-packages,
    added as a plain path (so the checkout's editable install is not among them)."""
    root = tmp_path_factory.mktemp("installed")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # built from a copy of the sources: setuptools writes build/ and *.egg-info/ beside them
    source = root / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "runs", "build", "dist", "*.egg-info",
                                                                "__pycache__", ".*_cache", ".hypothesis", "lightning_logs"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", root / "wheel",
         source], root, env)
    (wheel,) = (root / "wheel").glob("zoo_suite-*.whl")
    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], root, env)
    (purelib,) = venv.glob("lib/python*/site-packages")
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps", "-q", wheel],
        root, env)
    empty = root / "work"
    empty.mkdir()
    return venv / "bin", empty, env


def test_the_package_imports_from_the_environment_not_the_checkout(installed):
    bin_dir, cwd, env = installed
    out = run([bin_dir / "python", "-c", "import zoo, apps.vision; print(zoo.__file__); print(apps.vision.__file__)"],
              cwd, env).stdout.split()
    assert all(str(bin_dir.parent) in p and str(REPO) not in p for p in out), out


def test_zoo_models_lists_the_registry(installed):
    bin_dir, cwd, env = installed
    out = run([bin_dir / "zoo", "models"], cwd, env).stdout
    assert "resnet_small" in out and "transformer_seq2seq_small" in out


def test_a_packaged_preset_trains_by_name_from_an_empty_folder(installed):
    bin_dir, cwd, env = installed
    run([bin_dir / "zoo", "vision", "fit", "-c", "digits_demo", "--trainer.max_epochs", "1", "--extra_eval", "false",
         "--runs_dir", "runs", "--name", "wheel", "--trainer.enable_progress_bar", "false"], cwd, env)
    record = json.loads((cwd / "runs" / "vision" / "wheel" / "metrics.json").read_text())
    assert record["model"] == "cnn_small" and 0 < record["test"]["test_acc"] <= 1


def test_the_quickest_demo_step_runs_installed(installed):
    bin_dir, cwd, env = installed
    run([bin_dir / "zoo", "demo", "--apps", "rl", "--no-lessons", "--runs-dir", "demo_runs"], cwd, env)
    steps = json.loads((cwd / "demo_runs" / "demo" / "demo.json").read_text())["steps"]
    assert [s["step"] for s in steps] == ["rl/self-play"] and steps[0]["status"] == "ok"


def test_a_missing_data_location_says_what_to_pass(installed, tmp_path):
    bin_dir, cwd, env = installed
    done = subprocess.run([str(bin_dir / "zoo"), "science", "genomics", "fit", "-c", "hepg2_quick", "--runs_dir",
                           str(tmp_path)], cwd=cwd, env={**env, "ZOO_DATA": str(tmp_path / "nowhere")},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "ZOO_DATA" in done.stderr and "Traceback" not in done.stderr
