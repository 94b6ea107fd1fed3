"""Hostile artifacts for the matrix (tests/security/test_matrix.py), built once per session from tiny real runs.

Every payload that could run code asks to create ``MARKER`` (``touch`` through ``subprocess.Popen``, or
``Path.touch`` when unpickled); every link points into ``outside/``, a sentinel folder the matrix snapshots around
each cell; ``outside/secret.txt`` holds ``SECRET``, which must never be copied into anything a command writes.
Variants are made lazily (a cell builds only what it feeds) and cached; base runs are the apps' own tiny runs.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import re
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

import torch
import yaml

KINDS = ("pickle", "class_path", "alias_bomb", "deep_nesting", "huge_sizes", "symlink_out", "foreign_folder",
         "truncated", "wrong_types", "hub_id")
HUB = "someone/model"  # a Hub-shaped name that no local folder has
SECRET = "zoo-matrix-secret-5b1e0c"
HUGE = 10**7
DEEP = 5000  # levels: far past every bound, and past Python's recursion limit for a recursive walker
SKIP = shutil.ignore_patterns("tensorboard", "csv", "plots", "*_logs", "gradient_health.json")
CONFIGS = Path(__file__).resolve().parents[2] / "apps"
HANG = 30  # seconds: a cell still running then is stopped (and fails)


def popen(marker: Path) -> dict:
    return {"class_path": "subprocess.Popen", "init_args": {"args": ["touch", str(marker)]}}


class Touch:
    """Unpickled, creates the marker (``weights_only`` must refuse it)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def memo_bomb(levels: int = 9, width: int = 10) -> list:
    """One list referenced 10**10 times through the pickle memo: a KB on disk, endless to walk."""
    item = ["lol"] * width
    for _ in range(levels):
        item = [item] * width
    return item


def nested(depth: int = DEEP):
    value = "end"
    for _ in range(depth):
        value = [value]
    return value


def yaml_bomb_defs(levels: int = 9, width: int = 10) -> str:
    """A flow list defining anchors a..: each ``width`` aliases of the one before ("billion laughs")."""
    names = [chr(ord("a") + i) for i in range(levels + 1)]
    parts = ["&a [" + ", ".join(['"lol"'] * width) + "]"]
    parts += [f"&{n} [" + ", ".join([f"*{p}"] * width) + "]" for p, n in zip(names, names[1:])]
    return "[" + ", ".join(parts) + "]", f"*{names[-1]}"


def bomb_text(config: dict, *places: tuple[str, ...]) -> str:
    """``config`` as YAML flow text whose ``places`` (key paths) alias the bomb defined under ``x_defs``."""
    config = {"x_defs": "__DEFS__", **copy.deepcopy(config)}
    for place in places:
        section = config
        for key in place[:-1]:
            section = section.setdefault(key, {}) if isinstance(section.get(key), dict) or key not in section \
                else section[key]
        section[place[-1]] = "__BOMB__"
    defs, alias = yaml_bomb_defs()
    return json.dumps(config).replace('"__DEFS__"', defs).replace('"__BOMB__"', alias)


def deep_text(config: dict, place: tuple[str, ...]) -> str:
    """``config`` as JSON (YAML reads it) with a list nested ``DEEP`` levels at ``place``."""
    config = copy.deepcopy(config)
    section = config
    for key in place[:-1]:
        section = section.setdefault(key, {}) if not isinstance(section.get(key), dict) else section[key]
    section[place[-1]] = "__DEEP__"
    return json.dumps(config).replace('"__DEEP__"', "[" * DEEP + '"end"' + "]" * DEEP)


def truncated_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: len(data) // 2]


def save_deep(obj, path: Path) -> None:
    """torch.save of something nested deeper than the recursion limit (the pickler recurses)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * DEEP))
    try:
        torch.save(obj, path)
    finally:
        sys.setrecursionlimit(limit)


def make_foreign(path: Path) -> Path:
    """A user's own folder (no .zoo-suite marker) with files of theirs, including a metrics.csv."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "notes.txt").write_text("my own notes\n")
    (path / "csv").mkdir(exist_ok=True)
    (path / "csv" / "metrics.csv").write_text("step,loss\n0,1.0\n")
    (path / "config.yaml").write_text("mine: true\n")
    return path


def link(path: Path, target: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    path.symlink_to(target, target_is_directory=target.is_dir())
    return path


def copy_tree(src: Path, dest: Path) -> Path:
    """A copy of a run or model folder without its logs and plots (hard links: variants replace, never edit)."""
    shutil.copytree(src, dest, ignore=SKIP, copy_function=os.link, symlinks=True)
    return dest


def replace(path: Path, data: bytes | str) -> Path:
    if path.exists() or path.is_symlink():
        path.unlink()
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return path


# -- the tiny base runs ------------------------------------------------------------------------------------------
def nlp_run(runs: Path) -> Path:
    from zoo.runtime import cli

    assert cli.main([
        "nlp", "fit", "-c", str(CONFIGS / "nlp" / "configs" / "generated_demo.yaml"), "--runs_dir", str(runs),
        "--name", "base", "--data.init_args.generated_size", "300", "--data.init_args.vocab_size", "400",
        "--data.init_args.batch_size", "16", "--model.model_kwargs", '{"depth": 1, "width": 32, "heads": 2}',
        "--trainer.max_steps", "2", "--trainer.limit_val_batches", "1", "--trainer.limit_test_batches", "1",
        "--model.val_bleu_sentences", "4", "--extra_eval", "false", "--gradient_health_every", "0",
        "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]) == 0
    return runs / "nlp" / "base"


def genomics_run(runs: Path) -> Path:
    from tests.apps.science.genomics.serve_runs import tiny_run

    return tiny_run(runs)


def pde_run(runs: Path) -> Path:
    from tests.apps.science.pde.serve_runs import tiny_run

    return tiny_run(runs)


def rl_run(runs: Path, game: str, finite: bool = True) -> Path:
    """The RL app's tiny serve run; ``finite``: its metrics.json without the NaN headline tiny_run writes (which
    the reader refuses, so no other part of the run would be read: see the matrix's serve x foreign_folder)."""
    from tests.apps.rl.serve_runs import tiny_run

    run = tiny_run(runs, game, name=f"{game}_tiny" if finite else f"{game}_as_written")
    if finite:
        metrics = run / "metrics.json"
        metrics.write_text(metrics.read_text().replace("NaN", "null"))
    return run


RL_CONFIG = {"game": "tictactoe", "model": "resnet_small", "model_kwargs": {"depth": 1, "width": 8}, "iterations": 1,
             "games_per_iteration": 2, "simulations": 2, "train_steps": 1, "batch_size": 8, "eval_every": 1,
             "eval_games": 2, "final_eval_games": 2, "workers": 1, "max_minutes": 0.1}


class Hostile:
    """The session's artifacts under ``root``: ``art/`` (base runs and every variant), ``outside/`` (the sentinel
    that links point into), ``PWNED`` (the marker no payload may create)."""

    def __init__(self, root: Path, vision_run: Path):
        self.root, self.art, self.outside, self.marker = root, root / "art", root / "outside", root / "PWNED"
        self.art.mkdir(parents=True)
        self.outside.mkdir()
        (self.outside / "secret.txt").write_text(SECRET + "\n")
        (self.outside / "target").mkdir()
        (self.outside / "target" / "keep.txt").write_text("outside, not to be written\n")
        (self.outside / "victim.npz").write_bytes(b"not yours\n")
        self._bases: dict[str, Path] = {"vision": vision_run}
        self._made: dict[tuple, Path] = {}
        self.image = self.art / "digit.png"
        from PIL import Image

        Image.new("L", (8, 8), 128).save(self.image)

    # base runs
    def base(self, app: str) -> Path:
        if app not in self._bases:
            runs = self.art / "runs"
            build = {"nlp": nlp_run, "genomics": genomics_run, "pde": pde_run,
                     "rl": lambda r: rl_run(r, "tictactoe"), "rl_chess": lambda r: rl_run(r, "chess"),
                     "rl_as_written": lambda r: rl_run(r, "tictactoe", finite=False)}[app]
            self._bases[app] = build(runs)
        return self._bases[app]

    def base_ckpt(self, app: str) -> Path:
        folder = self.base(app) / "checkpoints"
        return next(p for p in (folder / "best.ckpt", folder / "last.ckpt") if p.is_file())

    def _once(self, key: tuple, make) -> Path:
        if key not in self._made:
            path = self.art / "variants" / "-".join(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made[key] = make(path)
        return self._made[key]

    # checkpoints
    def ckpt(self, app: str, kind: str) -> Path:
        return self._once(("ckpt", app, kind), lambda path: self._ckpt(app, kind, path.with_suffix(".ckpt")))

    def _ckpt(self, app: str, kind: str, path: Path) -> Path:
        base = self.base_ckpt(app)
        if kind == "truncated":
            return replace(path, truncated_bytes(base))
        ckpt = torch.load(base, weights_only=True)
        hp = ckpt["hyper_parameters"]
        spot = hp["data_spec"] if isinstance(hp.get("data_spec"), dict) else hp.setdefault("model_kwargs", {})
        if kind == "pickle":
            hp["extra"] = Touch(self.marker)
        elif kind == "class_path":
            hp["_instantiator"] = "lightning.pytorch.cli.instantiate_module"
            hp["_class_path"] = "subprocess.Popen"
            hp["model_kwargs"] = {**(hp.get("model_kwargs") or {}), "evil": popen(self.marker)}
        elif kind == "alias_bomb":
            spot["bomb"] = memo_bomb()
        elif kind == "deep_nesting":
            spot["deep"] = nested()
        elif kind in ("huge_sizes", "wrong_types"):
            hp["model_kwargs"] = {**(hp.get("model_kwargs") or {}), "width": HUGE if kind == "huge_sizes" else "abc"}
        elif kind == "hub_id":
            hp["init_from"] = HUB
        else:
            raise ValueError(kind)
        save_deep(ckpt, path)
        return path

    def outside_ckpt(self, app: str) -> Path:
        """A good checkpoint that lives outside (a link points to it)."""
        path = self.outside / f"{app}.ckpt"
        if not path.exists():
            shutil.copyfile(self.base_ckpt(app), path)
        return path

    # config files
    def base_config(self, app: str) -> dict:
        if app == "rl":
            return copy.deepcopy(RL_CONFIG)
        cfg = yaml.safe_load((self.base(app) / "config.yaml").read_text())
        for key in ("runs_dir", "name", "ckpt_path"):  # a config file may not choose where runs go
            cfg.pop(key, None)
        return cfg

    def base_config_file(self, app: str) -> Path:
        """The run's own config.yaml as a -c file (without the keys only the command line may set)."""
        return self._once(("config", app, "base"), lambda path: replace(
            path.with_suffix(".yaml"), yaml.safe_dump(self.base_config(app), sort_keys=False)))

    def config(self, app: str, kind: str) -> Path:
        """A -c file for ``app`` (a Lightning app, or "rl" for self-play settings) carrying ``kind``."""
        return self._once(("config", app, kind), lambda path: self._config(app, kind, path.with_suffix(".yaml")))

    def _config(self, app: str, kind: str, path: Path) -> Path:
        if kind == "pickle":  # a "config" that is a pickle
            return replace(path, self.ckpt(app if app != "rl" else "vision", "pickle").read_bytes())
        cfg = self.base_config(app)
        kwargs = ("model_kwargs",) if app == "rl" else ("model", "model_kwargs")
        if app != "rl":
            cfg["model"].setdefault("model_kwargs", {})
            cfg["model"]["model_kwargs"] = cfg["model"]["model_kwargs"] or {}
        section = cfg if app == "rl" else cfg["model"]
        if kind == "class_path":
            if app == "rl":
                cfg["model_kwargs"]["x"] = popen(self.marker)
            else:
                cfg["trainer"]["callbacks"] = [popen(self.marker)]
                cfg["data"] = popen(self.marker)
        elif kind == "alias_bomb":
            places = [(*kwargs, "bomb")] + ([] if app == "rl" else [("data", "init_args", "bomb")])
            return replace(path, bomb_text(cfg, *places))
        elif kind == "deep_nesting":
            return replace(path, deep_text(cfg, (*kwargs, "deep")))
        elif kind == "huge_sizes":
            section["model_kwargs"]["width"] = HUGE
        elif kind == "wrong_types":
            if app == "rl":
                cfg["simulations"] = "abc"
            section["model_kwargs"]["width"] = "abc"
        elif kind == "hub_id":
            section["model" if app == "rl" else "init_from"] = HUB
        elif kind == "truncated":
            text = json.dumps(cfg)
            return replace(path, text[: len(text) // 2])
        else:
            raise ValueError(kind)
        return replace(path, yaml.safe_dump(cfg, sort_keys=False))

    # model folders
    def model(self, app: str, kind: str) -> Path:
        return self._once(("model", app, kind), lambda path: self._model(app, kind, path))

    def _model(self, app: str, kind: str, folder: Path) -> Path:
        copy_tree(self.base(app) / "model", folder)
        config_path = folder / "config.json"
        meta = json.loads(config_path.read_text())
        if kind == "pickle":  # weights that are a pickle
            replace(folder / "model.safetensors", self.ckpt("vision", "pickle").read_bytes())
        elif kind == "truncated":
            replace(folder / "model.safetensors", truncated_bytes(self.base(app) / "model" / "model.safetensors"))
        elif kind == "symlink_out":
            outside = self.outside / f"{app}.safetensors"
            shutil.copyfile(self.base(app) / "model" / "model.safetensors", outside)
            link(folder / "model.safetensors", outside)
        elif kind == "foreign_folder":
            meta.pop("format", None)
            replace(config_path, json.dumps(meta))
            (folder / "notes.txt").write_text("my own notes\n")
        elif kind == "deep_nesting":
            meta["config"]["deep"] = "__DEEP__"
            replace(config_path, json.dumps(meta).replace('"__DEEP__"', "[" * 100_000 + "]" * 100_000))
        else:
            meta["config"].update({"class_path": {"activation": popen(self.marker)}, "huge_sizes": {"width": HUGE},
                                   "wrong_types": {"width": "abc"}, "hub_id": {"name": HUB}}[kind])
            replace(config_path, json.dumps(meta))
        return folder

    # run folders (what `zoo serve` is given)
    def run(self, app: str, kind: str) -> Path:
        return self._once(("run", app, kind), lambda path: self._run(app, kind, path / self.base(app).name))

    def _run(self, app: str, kind: str, run: Path) -> Path:
        copy_tree(self.base(app), run)
        if kind in ("pickle", "alias_bomb") and (run / "checkpoints").is_dir():
            for ckpt in (run / "checkpoints").glob("*.ckpt"):
                replace(ckpt, self.ckpt(app, kind).read_bytes())
            if app == "pde":  # without it the tab reads the data spec from the checkpoint
                (run / "model" / "preprocessing.json").unlink()
        if kind == "alias_bomb" and (run / "config.yaml").is_file():
            replace(run / "config.yaml", self.config(app, kind).read_text())
        elif kind == "symlink_out":
            outside = self.outside / "models" / app
            if not outside.exists():
                shutil.copytree(self.base(app) / "model", outside)
            link(run / "model", outside)
        elif kind == "foreign_folder":
            (run / ".zoo-suite").unlink(missing_ok=True)
            shutil.rmtree(run / "model")
            shutil.copytree(self.model(app, kind), run / "model")
            (run / "notes.txt").write_text("my own notes\n")
        elif kind not in ("pickle", "alias_bomb"):
            shutil.rmtree(run / "model")
            copy_tree(self.model(app, kind), run / "model")
        return run


# -- watching a cell ---------------------------------------------------------------------------------------------
def snapshot(folder: Path, contents: bool) -> dict[str, tuple]:
    """Every entry under ``folder`` (links not followed): kind, size, mtime, and a hash of small files."""
    found = {}
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(base) / name
            st = path.lstat()
            digest = None
            if contents and path.is_file() and not path.is_symlink() and st.st_size < 2**20:
                digest = hashlib.sha1(path.read_bytes()).hexdigest()
            found[str(path.relative_to(folder))] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return found


def changed(before: dict, after: dict) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def holds_secret(folder: Path) -> list[str]:
    """Files (not links) under ``folder`` whose bytes hold the outside secret."""
    hits = []
    for base, _, files in os.walk(folder):
        for name in files:
            path = Path(base) / name
            if not path.is_symlink() and path.stat().st_size < 2**24 and SECRET.encode() in path.read_bytes():
                hits.append(str(path.relative_to(folder)))
    return hits


class Hung(BaseException):
    """Raised by the alarm in a cell that runs past ``HANG`` seconds (a BaseException: no ``except`` swallows it)."""


def message_errors() -> tuple[type[BaseException], ...]:
    from zoo.errors import EXPECTED

    try:
        import gradio

        return (*EXPECTED, gradio.Error)
    except ImportError:
        return EXPECTED


def run(call, stdin: str, main, capsys, monkeypatch) -> tuple[object, str, float]:
    """(exit code, stderr, seconds) of ``main(call)`` (argv) or ``call()``; a traceback comes back as the code
    "traceback" (its text in stderr), a cell still running after ``HANG`` seconds as "hung"."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()

    def alarm(*_):
        raise Hung

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG)
    start, code, err = time.perf_counter(), None, ""
    try:
        try:
            if isinstance(call, list):
                code = main(list(call))
            else:
                call()
                code = 0
        except SystemExit as e:
            code = 0 if e.code is None else e.code if isinstance(e.code, int) else 1
        except message_errors() as e:
            if isinstance(call, list):
                raise
            from zoo.errors import one_line

            print(one_line(e), file=sys.stderr)
            code = 2
        except Exception:
            code, err = "traceback", traceback.format_exc(limit=-6)
    except Hung:
        code = f"hung (stopped after {HANG} s)"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    took = time.perf_counter() - start
    return code, capsys.readouterr().err + err, took


NOISE = re.compile(r"^(INFO|DEBUG): |^tip: For details|^\[W \d{4}-")


def message_lines(err: str) -> list[str]:
    """What the command itself said on stderr: without Python warnings (and their source line), an argparse or
    jsonargparse usage block, and log lines of level INFO."""
    lines, said, skip = err.splitlines(), [], False
    for line in lines:
        if skip and line[:1].isspace():
            continue
        skip = bool(re.match(r"^\S.*:\d+: \w*Warning: ", line)) or line.startswith("usage: ")
        if not skip and line.strip() and not NOISE.match(line):
            said.append(line)
    return said
