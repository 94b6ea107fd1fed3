"""The hostile-input matrix's table (see test_matrix.py): ``TABLE[command][kind]`` is a ``Feed`` (how to give
that command that kind of file: argv for `zoo`, or a call) or a string saying why the kind has no form there."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.security import hostile
from tests.security.hostile import HUB, KINDS, make_foreign


@dataclass(frozen=True)
class Probe:
    call: list[str] | Callable[[], object]  # `zoo` argv, or a call (returning: exit 0; an expected error: exit 2)
    stdin: str = ""


@dataclass(frozen=True)
class Feed:
    probes: Callable[[Cell], list[Probe]]
    expect: int = 2
    why: str = ""  # for expect 0: why the kind is harmless there


@dataclass
class Cell:
    """One cell's world: the session's artifacts, a fresh folder (the current directory), the folders to watch."""

    h: hostile.Hostile
    tmp: Path
    watched: list[Path] = field(default_factory=list)

    @property
    def runs(self) -> Path:
        return self.tmp / "runs"

    def foreign(self, path: Path) -> Path:
        self.watched.append(make_foreign(path))
        return path

    def linked(self, path: Path) -> Path:
        return hostile.link(path, self.h.outside / "target")

    def copy_run(self, app: str) -> Path:
        run = hostile.copy_tree(self.h.base(app), self.tmp / "run")
        return run

    def put(self, src: Path, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        return hostile.replace(dest, src.read_bytes())


def refused(build) -> Feed:
    return Feed(lambda c: as_probes(build(c)))


def harmless(why: str, build) -> Feed:
    return Feed(lambda c: as_probes(build(c)), 0, why)


def as_probes(made) -> list[Probe]:
    if isinstance(made, Probe):
        return [made]
    if callable(made) or (isinstance(made, list) and made and isinstance(made[0], str)):
        return [Probe(made)]
    return [m if isinstance(m, Probe) else Probe(m) for m in made]


# -- rows ---------------------------------------------------------------------------------------------------------
LIGHTNING = {"vision": ["vision"], "nlp": ["nlp"], "genomics": ["science", "genomics"], "pde": ["science", "pde"]}
CKPT_KINDS = ("pickle", "class_path", "alias_bomb", "deep_nesting", "huge_sizes", "truncated", "wrong_types")
CONFIG_KINDS = ("class_path", "alias_bomb", "deep_nesting", "huge_sizes", "truncated", "wrong_types", "hub_id")
QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false",
         "--trainer.accelerator", "cpu", "--extra_eval", "false", "--gradient_health_every", "0"]
SHORT = ["--trainer.limit_val_batches", "1", "--trainer.limit_test_batches", "1", "--trainer.limit_predict_batches", "1"]
DROPPED = "init_from in a checkpoint is dropped (its weights are its own): nothing is fetched, the command works"
USERS_PATH = "the file named on the command line is the user's choice: it is read, nothing is written"
ONLY_READS = "it only reads: whose folder it is matters to a writer, and nothing is written there"
NO_CONFIG = "takes no config file and reads no file a stranger made: flags and packaged presets only"
OUT_IS_USERS = ("--out is the user's own path; the files in it are written by RunFolder without following links "
                "(tests/security/test_run_folder.py), and the run's long work comes first")
NO_ALIAS = "reads JSON and safetensors only, which have no aliases (their bombs are deep_nesting and huge_sizes)"


def lightning_row(app: str, sub: str) -> dict:
    words = [*LIGHTNING[app], sub]

    def argv(c: Cell, config: Path | None = None, ckpt: Path | None = None, name: str = "m") -> list[str]:
        return [*words, "-c", str(config or c.h.base_config_file(app)), "--runs_dir", str(c.runs),
                "--name", name, *QUIET, *([] if sub == "fit" else SHORT),
                *(["--ckpt_path", str(ckpt)] if ckpt else [])]

    folder = app
    row = {"symlink_out": refused(lambda c: argv(c, name=c.linked(c.runs / folder / "linked").name)),
           "foreign_folder": refused(lambda c: argv(c, name=c.foreign(c.runs / folder / "theirs").name))}
    if sub == "fit":  # the config file carries the kind; a pickle comes as --ckpt_path (resume)
        row["pickle"] = refused(lambda c: argv(c, ckpt=c.h.ckpt(app, "pickle")))
        row.update({k: refused(lambda c, k=k: argv(c, config=c.h.config(app, k))) for k in CONFIG_KINDS})
    else:
        row.update({k: refused(lambda c, k=k: argv(c, ckpt=c.h.ckpt(app, k))) for k in CKPT_KINDS})
        row["hub_id"] = harmless(DROPPED, lambda c: argv(c, ckpt=c.h.ckpt(app, "hub_id")))
        if sub == "predict" and app != "vision":  # the checkpoint passes; predict itself is refused in one line:
            row["hub_id"] = refused(lambda c: argv(c, ckpt=c.h.ckpt(app, "hub_id")))  # no prediction set there
    return row


def ckpt_reader_row(app: str, command: Callable[[Cell, Path], list[str]], huge_flag: list[str] = ()) -> dict:
    """A command that loads a checkpoint named by --ckpt (classify, translate, score)."""
    row = {k: refused(lambda c, k=k: command(c, c.h.ckpt(app, k))) for k in CKPT_KINDS}
    if huge_flag:
        row["huge_sizes"] = refused(lambda c: [command(c, c.h.ckpt(app, "huge_sizes")),
                                               command(c, c.h.base_ckpt(app)) + list(huge_flag)])
    row["hub_id"] = harmless(DROPPED, lambda c: command(c, c.h.ckpt(app, "hub_id")))
    row["symlink_out"] = harmless(USERS_PATH, lambda c: command(
        c, hostile.link(c.tmp / "run" / "checkpoints" / "best.ckpt", c.h.outside_ckpt(app))))
    row["foreign_folder"] = harmless(ONLY_READS, lambda c: command(
        c, c.put(c.h.base_ckpt(app), c.foreign(c.tmp / "theirs") / "model.ckpt")))
    return row


def evaluate_row() -> dict:
    def argv(c: Cell, ckpt_kind: str | None = None, config_kind: str | None = None, out: Path | None = None):
        run = c.copy_run("vision")
        if ckpt_kind:
            c.put(c.h.ckpt("vision", ckpt_kind), run / "checkpoints" / "best.ckpt")
        if config_kind:
            c.put(c.h.config("vision", config_kind), run / "config.yaml")
        return ["vision", "evaluate", "--ckpt", str(run / "checkpoints" / "best.ckpt"), "--max-samples", "16",
                *(["--out", str(out)] if out else [])]

    def linked_plots(c: Cell):
        command = argv(c)
        c.linked(c.tmp / "run" / "plots")
        return command

    row = {k: refused(lambda c, k=k: argv(c, ckpt_kind=k)) for k in ("pickle", "huge_sizes", "truncated", "wrong_types")}
    row.update({k: refused(lambda c, k=k: argv(c, config_kind=k)) for k in ("class_path", "alias_bomb", "deep_nesting")})
    row["hub_id"] = ("its checkpoint's init_from is dropped by the loader classify uses (zoo.checkpoint.load_task, "
                     "whose cell shows it); evaluate then runs a whole evaluation (~15 s), over the cell bound")
    row["symlink_out"] = refused(linked_plots)  # the run's plots/ is a link out: the report's plots must not follow
    row["foreign_folder"] = refused(lambda c: argv(c, out=c.foreign(c.tmp / "theirs")))
    return row


def model_row(app: str, command: Callable[[Cell, str], list[str]], stdin: str = "", hub=None) -> dict:
    """A command that loads a model folder (rl arena/play/uci)."""
    kinds = ("pickle", "class_path", "deep_nesting", "huge_sizes", "symlink_out", "truncated", "wrong_types")
    row = {k: refused(lambda c, k=k: Probe(command(c, str(c.h.model(app, k))), stdin)) for k in kinds}
    row["alias_bomb"] = NO_ALIAS
    row["foreign_folder"] = harmless(ONLY_READS, lambda c: Probe(command(c, str(theirs(c, c.h.model(app, "foreign_folder")))), stdin))
    row["hub_id"] = refused(lambda c: Probe(command(c, HUB), stdin))  # a Hub-shaped name, no such folder here
    return row


def theirs(c: Cell, folder: Path) -> Path:
    """A copy of ``folder`` as someone else's (watched: it must stay as it is)."""
    dest = hostile.copy_tree(folder, c.tmp / "theirs")
    c.watched.append(dest)
    return dest


def rl_train_row() -> dict:
    def argv(c: Cell, config: Path, name: str = "m") -> list[str]:
        return ["rl", "train", "-c", str(config), "--runs_dir", str(c.runs), "--name", name]

    row = {k: refused(lambda c, k=k: argv(c, c.h.config("rl", k))) for k in ("pickle", *CONFIG_KINDS)}
    row["symlink_out"] = refused(lambda c: argv(c, base_rl(c), c.linked(c.runs / "rl" / "linked").name))
    row["foreign_folder"] = refused(lambda c: argv(c, base_rl(c), c.foreign(c.runs / "rl" / "theirs").name))
    return row


def base_rl(c: Cell) -> Path:
    import yaml

    return hostile.replace(c.tmp / "rl.yaml", yaml.safe_dump(hostile.RL_CONFIG))


def perf_actors_row() -> dict:
    def argv(c: Cell, preset: Path, out: Path | None = None) -> list[str]:
        return ["rl", "perf-actors", "--preset", str(preset), "--quick", "--repeats", "3", "--games", "2",
                "--num-actors", "2", "--out", str(out or c.tmp / "perf")]

    row = {k: refused(lambda c, k=k: argv(c, c.h.config("rl", k))) for k in ("pickle", *CONFIG_KINDS)}
    row["symlink_out"] = OUT_IS_USERS
    row["foreign_folder"] = refused(lambda c: argv(c, base_rl(c), c.foreign(c.tmp / "theirs")))
    return row


def marked(folder: Path) -> Path:
    """A folder as zoo-suite makes one (its marker inside)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".zoo-suite").write_text("written by zoo-suite (--out)\n")
    return folder


def generate_row() -> dict:
    def argv(c: Cell, *extra: str, out: Path | None = None) -> list[str]:
        return ["science", "pde", "generate", "--n", "2", "--resolution", "64", *extra,
                "--out", str(out or c.tmp / "data.npz")]

    no_file = "solves for random inputs set by flags: reads no file"
    row = dict.fromkeys(("pickle", "class_path", "alias_bomb", "deep_nesting", "truncated", "hub_id"), no_file)
    row["huge_sizes"] = refused(lambda c: argv(c, "--resolution", str(hostile.HUGE * 10)))
    row["wrong_types"] = refused(lambda c: argv(c, "--n", "abc"))
    row["symlink_out"] = refused(lambda c: argv(c, out=c.linked(marked(c.tmp / "run") / "data") / "x.npz"))
    row["foreign_folder"] = refused(lambda c: argv(c, out=c.foreign(c.tmp / "theirs")))
    return row


def export_row() -> dict:
    def argv(c: Cell, kind: str | None = None, out: Path | None = None, app: str = "vision") -> list[str]:
        run = c.copy_run(app)
        if kind:
            hostile.shutil.rmtree(run / "model")
            hostile.copy_tree(c.h.model(app, kind), run / "model")
        return ["export", str(run), *(["--out", str(out)] if out else [])]

    def linked(c: Cell) -> list[Probe]:
        nlp = argv(c, app="nlp")
        hostile.link(c.tmp / "run" / "model" / "tokenizer.json", c.h.outside / "secret.txt")
        first = Probe(nlp)
        vision_run = hostile.copy_tree(c.h.base("vision"), c.tmp / "run2")
        c.linked(vision_run / "export")
        return [first, Probe(["export", str(vision_run)])]

    kinds = ("pickle", "class_path", "deep_nesting", "huge_sizes", "truncated", "wrong_types")
    row = {k: refused(lambda c, k=k: argv(c, k)) for k in kinds}
    row["alias_bomb"] = NO_ALIAS
    row["symlink_out"] = refused(linked)  # model/tokenizer.json -> a secret; export/ -> outside
    row["foreign_folder"] = refused(lambda c: argv(c, out=c.foreign(c.tmp / "theirs")))
    row["hub_id"] = refused(lambda c: ["export", HUB])
    return row


def from_pretrained_row() -> dict:
    import zoo

    def call(folder: Path):
        return lambda: zoo.from_pretrained(str(folder))

    kinds = ("pickle", "class_path", "deep_nesting", "huge_sizes", "symlink_out", "truncated", "wrong_types", "hub_id")
    row = {k: refused(lambda c, k=k: call(c.h.model("vision", k))) for k in kinds}  # hub_id: config.json's name
    row["alias_bomb"] = NO_ALIAS
    row["foreign_folder"] = harmless("loading someone's model folder is what it is for; nothing is written",
                                     lambda c: call(theirs(c, c.h.model("vision", "foreign_folder"))))
    return row


SERVE_APPS = {"vision": "vision", "nlp": "nlp", "rl": "rl", "genomics": "science/genomics", "pde": "science/pde"}
SERVE_LOADERS = {"vision": ("apps.vision.serve", "model_of"), "nlp": ("apps.nlp.serve", "task_for"),
                 "rl": ("apps.rl.serve", "agent_for"), "genomics": ("apps.science.genomics.serve", "scorer_of"),
                 "pde": ("apps.science.pde.serve", "field_run")}


def serve_probe(c: Cell, app: str, run: Path) -> Probe:
    """What `zoo serve RUN` does before it listens: find the run's app, then the app's tab loads it."""
    def probe():
        import importlib

        from zoo.runtime.apps import discover_apps
        from zoo.runtime.serve import runs_by_app

        found = runs_by_app(discover_apps(), [run], c.tmp / "no-runs")
        assert run in found[SERVE_APPS[app]], found
        module, loader = SERVE_LOADERS[app]
        getattr(importlib.import_module(module), loader)(str(run))

    return Probe(probe)


def serve_row() -> dict:
    every = tuple(SERVE_APPS)
    on = {"pickle": ("genomics", "pde"), "alias_bomb": ("nlp", "pde", "genomics")}  # where the tab reads that file

    def probes(kind: str):
        def build(c: Cell) -> list[Probe]:
            pytest.importorskip("gradio", reason="zoo serve's tabs need gradio")
            apps = on.get(kind, every)
            if kind == "foreign_folder":  # and the RL run exactly as tests/apps/rl/serve_runs writes it
                return [*(serve_probe(c, a, theirs_run(c, a)) for a in apps),
                        serve_probe(c, "rl", c.h.base("rl_as_written"))]
            return [serve_probe(c, a, c.h.run(a, kind)) for a in apps]
        return build

    row = {k: refused(probes(k)) for k in KINDS}
    row["foreign_folder"] = harmless(ONLY_READS, probes("foreign_folder"))
    return row


def theirs_run(c: Cell, app: str) -> Path:
    dest = hostile.copy_tree(c.h.run(app, "foreign_folder"), c.tmp / "theirs" / app)
    c.watched.append(dest)
    return dest


def lesson_row(verb: list[str], extra: list[str], kwargs_flag: bool) -> dict:
    def argv(c: Cell, config: Path | None = None, out: Path | None = None, more=()) -> list[str]:
        return [*verb, "vision", *(["-c", str(config)] if config else []), *extra, *more,
                "--out", str(out or c.tmp / "out")]

    def trials_linked(c: Cell):
        c.linked(marked(c.tmp / "out") / "trials")
        return argv(c)

    row = {k: refused(lambda c, k=k: argv(c, c.h.config("vision", k))) for k in ("pickle", *CONFIG_KINDS)}
    row["symlink_out"] = refused(trials_linked)
    row["foreign_folder"] = refused(lambda c: argv(c, out=c.foreign(c.tmp / "theirs")))
    if kwargs_flag:  # the study sets each model's arguments itself: sizes come by --model-kwargs
        row["huge_sizes"] = refused(lambda c: argv(c, more=["--model-kwargs", f'{{"width": {hostile.HUGE}}}']))
        row["wrong_types"] = refused(lambda c: argv(c, more=["--model-kwargs", '{"width": "abc"}']))
    else:  # a sweep's study.db that is not SQLite, beside a truncated -c
        row["truncated"] = refused(lambda c: [argv(c, c.h.config("vision", "truncated"), out=c.tmp / "o1"),
                                              argv(c, out=study_db(c, marked(c.tmp / "out")))])
    return row


def study_db(c: Cell, out: Path) -> Path:
    (out / "study.db").write_bytes(b"SQLite format 2\x00" + os.urandom(64))
    return out


def out_row(argv: Callable[[Cell, Path], list[str]], wrong: list[str], linked: str = "", linked_why: str = "") -> dict:
    """A command whose only path is --out (compare, bench, perf): a foreign --out, a linked one, a bad flag."""
    def linked_out(c: Cell):
        c.linked(marked(c.tmp / "out") / "runs")
        return argv(c, c.tmp / "out")

    row = dict.fromkeys(KINDS, NO_CONFIG)
    row["foreign_folder"] = refused(lambda c: argv(c, c.foreign(c.tmp / "theirs")))
    row["wrong_types"] = refused(lambda c: argv(c, c.tmp / "out") + wrong)
    row["symlink_out"] = linked or (harmless(linked_why, linked_out) if linked_why else refused(linked_out))
    return row


def demo_row() -> dict:
    def argv(c: Cell) -> list[str]:
        return ["demo", "--apps", "vision", "--no-lessons", "--runs-dir", str(c.runs)]

    row = dict.fromkeys(KINDS, "runs the packaged presets: reads no file a stranger made")
    row["foreign_folder"] = refused(lambda c: (c.foreign(c.runs / "demo"), argv(c))[1])
    row["symlink_out"] = refused(lambda c: (c.linked(c.runs / "demo"), argv(c))[1])
    return row


SEQ = "ACGT" * 15
TABLE: dict[str, dict[str, Feed | str]] = {
    **{f"{' '.join(LIGHTNING[app])} {sub}": lightning_row(app, sub)
       for app in LIGHTNING for sub in ("fit", "validate", "test", "predict")},
    "vision classify": ckpt_reader_row("vision", lambda c, p: ["vision", "classify", "--ckpt", str(p), str(c.h.image)]),
    "vision evaluate": evaluate_row(),
    "nlp translate": ckpt_reader_row("nlp", lambda c, p: ["nlp", "translate", "--ckpt", str(p), "the cat sleeps ."],
                                     huge_flag=["--max_decode_len", str(hostile.HUGE)]),
    "science genomics score": ckpt_reader_row("genomics", lambda c, p: ["science", "genomics", "score", "--ckpt",
                                                                        str(p), SEQ]),
    "science pde generate": generate_row(),
    "rl train": rl_train_row(),
    "rl arena": model_row("rl", lambda c, m: ["rl", "arena", "tictactoe", m, "random", "--games", "2"]),
    "rl play": model_row("rl", lambda c, m: ["rl", "play", "tictactoe", "--ckpt", m, "--simulations", "0"],
                         stdin="\n".join(f"{c}{r}" for c in "abc" for r in "123") + "\n"),
    "rl uci": model_row("rl_chess", lambda c, m: ["rl", "uci", "--ckpt", m], stdin="uci\nisready\nquit\n"),
    "rl perf-actors": perf_actors_row(),
    "export": export_row(),
    "serve": serve_row(),
    "sweep": lesson_row(["sweep"], ["--lr", "0.01", "--batch-size", "32", "--budget", "1steps", "--max-trials", "1"],
                        kwargs_flag=False),
    "study": lesson_row(["study", "depth"], ["--families", "cnn", "--depths", "2", "--init", "default",
                                             "--budget", "1steps"], kwargs_flag=True),
    "compare": out_row(lambda c, o: ["compare", "vision", "--families", "cnn", "--seeds", "1", "--run-seconds", "1",
                                     "--out", str(o)], ["--seeds", "abc"],
                       linked_why="each run is refused and marked failed in the leaderboard; nothing goes through"),
    "bench": out_row(lambda c, o: ["bench", "vision", "--minutes", "0.01", "--out", str(o)], ["--minutes", "abc"],
                     linked=OUT_IS_USERS),
    "perf": out_row(lambda c, o: ["perf", "vision", "--quick", "--out", str(o)], ["--repeats", "abc"],
                    linked=OUT_IS_USERS),
    "demo": demo_row(),
    "models": dict.fromkeys(KINDS, "lists the registry: reads no file"),
    "from_pretrained": from_pretrained_row(),
}
