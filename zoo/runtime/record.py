"""The run record: the one typed ``metrics.json`` of a run folder, written by every app and read by every tool.

Lightning apps write it in ``zoo.runtime.finish``, self-play in ``apps/rl/train.py``; `zoo demo`, its report,
`make gpu-check` and the lessons (through ``zoo.lessons.trials.read_result``) read it back. A metrics.json may come
from a stranger (a run folder shared or edited), so ``RunRecord.read`` checks every field's type before any tool
uses a value, and refuses a bad file with an ``InputError`` that names the file and the field.

The JSON stays flat, with the keys it always had (``headline``, ``test``, ``baseline``, ``validation``,
``fit_seconds``, ...). What an app records of its own (self-play's ``game`` and ``matches``) lives in ``extra``
and is written at the top level beside the shared fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ..errors import InputError
from ..outputs import write_json
from ..trust.reader import check_plain, load_json_floats, read_text

FILENAME = "metrics.json"
MAX_BYTES = 16 * 2**20  # a record is a few kilobytes; a bigger file is not one, and is not parsed


@dataclass
class Headline:
    """The one held-out number a run is ranked by."""

    name: str
    """Metric name, e.g. ``test_acc``."""
    value: float
    """Its value on the held-out split; NaN when training diverged or the metric was never computed."""
    higher_is_better: bool = True
    """Direction of the metric (False for errors and losses)."""


@dataclass
class Validation:
    """The monitored validation metric: it chose the best checkpoint, and sweeps rank their trials by it."""

    name: str
    """Metric name, e.g. ``val_acc``."""
    higher_is_better: bool = True
    """Direction of the metric."""
    best: float | None = None
    """Best value seen (what the best checkpoint holds); None when no validation ran."""
    last: float | None = None
    """Value at the last validation; None when no validation ran."""


@dataclass
class Baseline:
    """A simple model's score on the same held-out split: the number the run has to beat."""

    name: str
    """Metric name; the same metric as the headline."""
    value: float
    """The baseline's value."""
    description: str = ""
    """What the baseline is, for people (``logistic regression on pixels``)."""
    details: dict[str, Any] = field(default_factory=dict)
    """Further numbers or words the app reports beside it (the PDE solver's floor, a ceiling); written flat, beside
    ``name`` and ``value``, as they always were."""


@dataclass
class Machine:
    """What the run ran on: absolute speeds mean little without it (the same 2 cores may be AMX or AVX-512)."""

    cpu: str
    """CPU model name (``/proc/cpuinfo``), or the platform's processor string elsewhere."""
    cores: int
    """CPU cores this process may use."""
    torch: str
    """``torch.__version__``."""
    precision: str
    """Lightning's precision string, e.g. ``32-true`` or ``bf16-mixed``."""
    gpu: str = ""
    """The GPU's name when the run used one, else empty."""

    @classmethod
    def current(cls, precision: str, device: str = "cpu") -> Machine:
        """This machine, for a run on ``device`` (``cpu``, ``cuda``, ``cuda:0``, ...) at ``precision``; detected as
        `zoo bench` does (``zoo.runtime.machine``), so that a run and a bench describe a machine alike."""
        from .machine import machine_record

        found = machine_record(precision)
        gpu = found["gpu"] if device.startswith("cuda") and found["gpu"] else ""  # a CPU run on a GPU machine: none
        return cls(cpu=found["cpu"] or "unknown", cores=int(found["usable_cores"] or 1), torch=found["torch"],
                   precision=precision, gpu=gpu)


@dataclass
class RunRecord:
    """A finished run, as ``metrics.json`` holds it."""

    app: str
    """The app that ran it (``vision``, ``rl``, ...)."""
    model: str
    """The zoo model's registry name."""
    headline: Headline
    """The held-out number the run is ranked by."""
    run: str = ""
    """The run's name (its folder's name)."""
    run_dir: str = ""
    """The run folder. On reading, the folder the file was found in: the one written inside may be stale (a moved
    folder) or made up (a stranger's), and tools open plots and logs relative to it."""
    family: str = ""
    """The model's family (``cnn``, ``resnet``, ...): the leaderboard's column."""
    num_parameters: int = 0
    """Trainable and frozen parameters of the model."""
    device: str = "cpu"
    """Device type the model trained on (``cpu``, ``cuda``)."""
    test: dict[str, float] = field(default_factory=dict)
    """Every held-out metric, by name (the test split and the app's further evaluation)."""
    validation: Validation | None = None
    """The monitored validation metric; None for apps without a validation split."""
    baseline: Baseline | None = None
    """The simple model to beat; None when the app has none."""
    chance: float | None = None
    """The headline of a model that learned nothing (1 / classes for accuracy); None where not defined."""
    fit_seconds: float | None = None
    """Wall-clock seconds of training; None when not measured."""
    train_samples_per_s: float | None = None
    """Training throughput (samples, or self-play positions, per second); None when not measured."""
    epochs: int | None = None
    """Epochs trained; None where training is not counted in epochs (self-play)."""
    steps: int | None = None
    """Optimizer steps taken; None when not counted."""
    plots: list[str] = field(default_factory=list)
    """PNG files, relative to the run folder."""
    best_checkpoint: str = ""
    """Path of the best checkpoint when there is one, else empty."""
    machine: Machine | None = None
    """What the run ran on; None in records written before it was recorded."""
    timed_out: bool = False
    """Training stopped at its time cap before the epochs, steps or iterations it was given: the model is not the
    one its settings describe (`zoo demo` reports the step as timed out, not ok, and exits non-zero)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """The app's own fields (plain JSON values), written at the top level beside the shared ones."""

    def ranking(self) -> Headline:
        """The number lesson tools rank a trial by: the best validation value (the last one when no best was kept)
        of the monitored metric, else the held-out headline when the app has no validation split."""
        val = self.validation
        score = None if val is None else val.best if val.best is not None else val.last
        if score is None:
            return self.headline
        return Headline(val.name, score, val.higher_is_better)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: the shared fields over the app's own (a shared key always wins)."""
        shared = asdict(self)
        del shared["extra"]
        if self.baseline is not None:
            details = shared["baseline"].pop("details")
            shared["baseline"] = {**details, **shared["baseline"]}
        return {**self.extra, **shared}

    def write(self, run_dir: str | Path) -> Path:
        """Write ``<run_dir>/metrics.json`` atomically (a crash never leaves half a record); returns its path."""
        return write_json(Path(run_dir) / FILENAME, self.to_dict())

    @classmethod
    def read(cls, path: str | Path) -> RunRecord:
        """The record in ``path`` (a metrics.json, or a run folder holding one), every field checked."""
        path = Path(path)
        if path.is_dir():
            path = path / FILENAME
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            raise InputError(f"{path}: {path.stat().st_size:,} bytes; a run record is at most {MAX_BYTES:,}")
        # bounded JSON, no link out of the run folder (zoo.trust.reader); from_dict checks every field
        data = load_json_floats(read_text(path, root=path.parent, max_bytes=MAX_BYTES), str(path))
        return cls.from_dict(data, str(path), run_dir=path.parent)

    @classmethod
    def from_dict(cls, data: Any, source: str, run_dir: Path | None = None) -> RunRecord:
        """A record from a parsed JSON object; ``source`` names it in errors. ``run_dir``: where it was found."""
        f = Fields(data, source)
        known = {n for n in cls.__dataclass_fields__ if n != "extra"}
        extra = {k: v for k, v in data.items() if k not in known}
        for key, value in extra.items():
            check_plain(value, f"{source}: field {key}")
        written = f.text("run_dir", "")  # checked, though the folder it was found in wins (see the field)
        folder = str(run_dir) if run_dir is not None else written
        return cls(
            app=f.text("app"), model=f.text("model"), headline=read_headline(f.sub("headline")),
            run=f.text("run", run_dir.name if run_dir is not None else ""), run_dir=folder,
            family=f.text("family", ""), num_parameters=f.count("num_parameters", 0), device=f.text("device", "cpu"),
            test=f.numbers("test"), validation=read_validation(f.sub("validation", optional=True)),
            baseline=read_baseline(f.sub("baseline", optional=True)), chance=f.number("chance", None),
            fit_seconds=f.number("fit_seconds", None),
            train_samples_per_s=f.number("train_samples_per_s", None), epochs=f.count("epochs", None),
            steps=f.count("steps", None), plots=f.paths("plots"), best_checkpoint=f.text("best_checkpoint", ""),
            machine=read_machine(f.sub("machine", optional=True)), timed_out=f.flag("timed_out", False), extra=extra)


def read_headline(f: Fields) -> Headline:
    return Headline(f.text("name"), f.number("value"), f.flag("higher_is_better", True))


def read_validation(f: Fields | None) -> Validation | None:
    if f is None:
        return None
    return Validation(f.text("name"), f.flag("higher_is_better", True), f.number("best", None), f.number("last", None))


def read_baseline(f: Fields | None) -> Baseline | None:
    if f is None:
        return None
    details = {k: v for k, v in f.data.items() if k not in ("name", "value", "description")}
    for key, value in details.items():
        check_plain(value, f"{f.source}: field {f.prefix}{key}")
    return Baseline(f.text("name"), f.number("value"), f.text("description", ""), details)


def baseline_from(payload: dict, source: str) -> Baseline:
    """A data module's ``baseline()`` dict as a ``Baseline``, checked like a file (``source`` names it)."""
    return read_baseline(Fields(payload, source))


def read_machine(f: Fields | None) -> Machine | None:
    if f is None:
        return None
    return Machine(f.text("cpu"), f.count("cores"), f.text("torch"), f.text("precision"), f.text("gpu", ""))


REQUIRED = object()  # no default: the field must be there


class Fields:
    """Typed access to one JSON object's fields; every error names the file and the field's path in it."""

    def __init__(self, data: Any, source: str, prefix: str = ""):
        if not isinstance(data, dict):
            where = f"field {prefix.rstrip('.')}" if prefix else "the file"
            raise InputError(f"{source}: {where} must be a JSON object, got {describe(data)}")
        self.data, self.source, self.prefix = data, source, prefix

    def _get(self, key: str, default: Any, ok, expected: str) -> Any:
        if key not in self.data or (self.data[key] is None and default is None):
            if default is REQUIRED:
                raise InputError(f"{self.source}: field {self.prefix}{key} is missing ({expected} expected)")
            return default
        value = self.data[key]
        if not ok(value):
            raise InputError(f"{self.source}: field {self.prefix}{key} must be {expected}, got {describe(value)}")
        return value

    def text(self, key: str, default: Any = REQUIRED) -> str:
        return self._get(key, default, lambda v: isinstance(v, str), "a string")

    def flag(self, key: str, default: Any = REQUIRED) -> bool:
        return self._get(key, default, lambda v: isinstance(v, bool), "true or false")

    def number(self, key: str, default: Any = REQUIRED) -> float:
        value = self._get(key, default, is_number, "a number")
        return float(value) if value is not None else None

    def count(self, key: str, default: Any = REQUIRED) -> int:
        return self._get(key, default, lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                         "a whole number >= 0")

    def sub(self, key: str, optional: bool = False) -> Fields | None:
        value = self._get(key, None if optional else REQUIRED, lambda v: True, "an object")
        return None if value is None else Fields(value, self.source, f"{self.prefix}{key}.")

    def numbers(self, key: str) -> dict[str, float]:
        """An object of name -> number (missing: empty)."""
        sub = self.sub(key, optional=True)
        return {} if sub is None else {name: sub.number(name) for name in sub.data}

    def paths(self, key: str) -> list[str]:
        """A list of relative paths inside the run folder (missing: empty): a record never points tools outside."""
        value = self._get(key, [], lambda v: isinstance(v, list), "a list")
        for i, item in enumerate(value):
            if not (isinstance(item, str) and inside_folder(item)):
                raise InputError(f"{self.source}: field {self.prefix}{key}[{i}] must be a relative path inside the "
                                 f"run folder, got {describe(item)}")
        return list(value)


def is_number(value: Any) -> bool:
    """A JSON number (NaN and infinity included: a diverged run records them); never a boolean."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not (
        isinstance(value, int) and abs(value) > 2**1023)  # float() of a bigger int overflows


def inside_folder(path: str) -> bool:
    """A relative path that stays inside its folder on any system (no root, drive or ``..``)."""
    posix, windows = PurePosixPath(path), PureWindowsPath(path)
    return bool(path) and "\x00" not in path and not posix.is_absolute() and not windows.drive \
        and not windows.root and ".." not in posix.parts and ".." not in windows.parts


def describe(value: Any) -> str:
    """A short, safe rendering of a bad value for an error message."""
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'list'}"
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

