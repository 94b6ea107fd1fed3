"""Self-play checkpoints: one complete folder per finished iteration, and ``latest.json`` naming the last one.

``checkpoints/iter_NNNN/`` holds the weights (a ``from_pretrained`` folder) and the replay window; it is written
under a temporary name and renamed, and only then does ``latest.json`` (written atomically) point at it. A run
killed at any moment therefore finds either the previous iteration or this one, whole.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
from safetensors.torch import load_file

from zoo import save_pretrained
from zoo.errors import InputError
from zoo.runtime.record import Fields
from zoo.runtime.report import write_json
from zoo.trust.reader import check_inside, read_data, read_safetensors_header
from zoo.trust.runfolder import replace_folder

from .selfplay import Positions

FOLDER = re.compile(r"iter_\d{4,}")  # what save_iteration names them: latest.json may point nowhere else


def load_latest(run_dir: Path) -> dict | None:
    """The last finished iteration of a run: {"iteration", "dir", "history", "weights", "replay"}, or None."""
    latest = run_dir / "checkpoints" / "latest.json"
    if not latest.is_file():
        return None
    info = read_latest(latest)
    folder = run_dir / "checkpoints" / info["dir"]
    with np.load(check_inside(folder / "replay.npz", run_dir)) as z:  # no pickle (allow_pickle is off), no link out
        missing = [k for k in ("planes", "policies", "results") if k not in z.files]
        if missing:
            raise InputError(f"{folder / 'replay.npz'}: no {', '.join(missing)} (written by `zoo rl train`)")
        replay = Positions(z["planes"], z["policies"], z["results"])
    weights = folder / "model" / "model.safetensors"
    read_safetensors_header(weights, root=run_dir)  # the header bounded, no link out (zoo.trust.reader)
    return {**info, "weights": load_file(str(weights)), "replay": replay}


def read_latest(path: Path) -> dict:
    """``latest.json``, checked: a whole iteration number, one of our own folder names, a list of history entries."""
    # bounded JSON, no link out (zoo.trust.reader); the history may hold -Infinity (an Elo against a perfect player)
    data = read_data(path, root=path.parent, nonfinite=True)
    f = Fields(data, str(path))
    folder = f.text("dir")
    if not FOLDER.fullmatch(folder):
        raise InputError(f"{path}: field dir must name an iteration folder (iter_NNNN), got {folder!r}")
    history = data.get("history")
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        raise InputError(f"{path}: field history must be a list of objects (one per iteration)")
    return {"iteration": f.count("iteration"), "dir": folder, "history": history}


def save_iteration(run_dir: Path, iteration: int, model, replay: Positions, history: list, keep: int = 2) -> Path:
    """Write iteration ``iteration`` completely, then point latest.json at it; keep the last ``keep`` folders."""
    ckpt = run_dir / "checkpoints"
    folder = ckpt / f"iter_{iteration:04d}"

    def build(tmp: Path) -> None:  # a fresh private folder, renamed onto ``folder`` once whole
        save_pretrained(model, tmp / "model", notes=f"self-play iteration {iteration}")
        np.savez(tmp / "replay.npz", planes=replay.planes, policies=replay.policies, results=replay.results)

    # Through zoo.trust.runfolder: no link under the run folder followed; only a folder of our own replaced.
    replace_folder(folder, build, lambda old: (old / "model").is_dir() or not any(old.iterdir()))
    write_json(ckpt / "latest.json", {"iteration": iteration, "dir": folder.name, "history": history})
    for old in sorted(ckpt.glob("iter_*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return folder
