"""An app's benchmark matrix as data: ``configs/bench.yaml`` (datasets x families x model arguments x budget).

The file is read by ``zoo.trust.reader`` (bounded, no aliases or tags) and checked strictly: an unknown key, a
wrong type or a family the zoo does not have is an ``InputError`` naming the file and the key, before anything
trains. Nothing in it is imported or instantiated; config files are named relative to the bench file.

    description: every zoo family on Fashion-MNIST's quick preset     # the table's title
    minutes: 10                                    # training cap per cell; `zoo bench --minutes N` replaces it
    datasets:
      fashion: {config: fashion_quick.yaml, requires: [/usr/share/datasets/fashion-mnist]}
      digits: {config: digits_quick.yaml, default: false}        # run only when named with --datasets
    families:
      cnn: {model: cnn_small, model_kwargs: {depth: 5, pool_every: 1}, epochs: 8}
      resnet: {}                                   # the preset's own model, or the family's small model
    columns:
      - {label: "PGD acc @4/255", key: test.pgd_acc_eps4, format: ".4f"}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..trust.reader import read_data

KEY = re.compile(r"[a-z0-9_]+")  # dataset and family keys become part of run folder names


@dataclass(frozen=True)
class BenchDataset:
    """One dataset of the matrix: a preset config of the app, and what it needs to be there."""

    config: Path
    """The preset to train (a path relative to the bench file)."""
    label: str = ""
    """How the table names it (default: its key)."""
    requires: tuple[str, ...] = ()
    """Paths that must exist (relative ones from the current folder, as the apps read them); a cell whose data is
    missing is reported as skipped, not failed."""
    default: bool = True
    """False: run only when named with ``--datasets`` (a slow or optional dataset)."""
    configs: dict[str, Path] = field(default_factory=dict)
    """A family's own preset on this dataset (family -> config), e.g. the LSTM translation model's settings."""
    model_kwargs: dict[str, dict] = field(default_factory=dict)
    """Model arguments this dataset adds to a family's (family -> arguments), e.g. circular padding on a periodic
    domain. They apply where the cell replaces the preset's model (not to the preset's own)."""


@dataclass(frozen=True)
class BenchFamily:
    """How one zoo family is trained in the matrix; every field is optional."""

    model: str | None = None
    """The registered model (default: the preset's own model when it is of this family, else the family's small
    model for the app's input kind)."""
    model_kwargs: dict = field(default_factory=dict)
    """Its arguments; they replace the preset's model arguments when ``model`` is set."""
    epochs: int | None = None
    """Train exactly this many epochs (the preset's epochs, time limit and early stopping are lifted; the minutes
    still cap it)."""
    preset_budget: bool = False
    """True: train under the preset's own limits, not the matrix's ``minutes`` (e.g. the FNO as published);
    ``zoo bench --minutes`` still caps it."""


@dataclass(frozen=True)
class BenchColumn:
    """One extra column of the table: a number read from each run's metrics.json."""

    label: str
    """The column heading."""
    key: str
    """Dotted path into metrics.json, e.g. ``test.test_acc`` or ``baseline.value``."""
    format: str = ".4g"
    """A Python format spec for the value (``.4f``, ``.2e``, ``,``, ``.0%``)."""
    per: str | None = None
    """Another dotted path: the column shows ``key / per`` (a ratio such as a speed-up); "-" when either is missing."""


@dataclass(frozen=True)
class BenchSpec:
    """A whole bench file."""

    path: Path
    """Where it was read from (error messages and relative config paths)."""
    datasets: dict[str, BenchDataset]
    """Datasets by key, in the file's order."""
    families: dict[str, BenchFamily] = field(default_factory=dict)
    """Families by key; empty: every core family the zoo has for the app's input kind."""
    minutes: float | None = None
    """Training cap per cell in minutes; None keeps the presets' own limits."""
    description: str = ""
    """The table's title."""
    columns: tuple[BenchColumn, ...] = ()
    """Columns after the ones every bench has (dataset, family, model, parameters, train s, headline, status)."""


def load_bench(path: str | Path) -> BenchSpec:
    """Read and check a bench file; every problem is an ``InputError`` naming the file and the key."""
    path = Path(path)
    raw = read_data(path)  # bounded plain YAML, no aliases or tags (zoo.trust.reader)
    where = str(path)
    raw = _typed(raw, where, dict)
    _known_keys(raw, BenchSpec, where, skip=("path",))
    if "datasets" not in raw:
        raise InputError(f"{where}: needs `datasets` (at least one dataset with its config)")
    datasets = {key: _dataset(value, path, f"{where}: datasets.{key}")
                for key, value in _keyed(raw["datasets"], f"{where}: datasets").items()}
    if not datasets:
        raise InputError(f"{where}: datasets: is empty")
    families = {key: _family(value, f"{where}: families.{key}")
                for key, value in _keyed(raw.get("families") or {}, f"{where}: families").items()}
    _check_families([*families, *(f for d in datasets.values() for f in (*d.configs, *d.model_kwargs))], where)
    columns = tuple(_column(c, f"{where}: columns[{i}]")
                    for i, c in enumerate(_typed(raw.get("columns") or [], f"{where}: columns", list)))
    return BenchSpec(path, datasets, families, _minutes(raw.get("minutes"), f"{where}: minutes"),
                     _typed(raw.get("description", ""), f"{where}: description", str), columns)


def _dataset(raw: Any, path: Path, where: str) -> BenchDataset:
    raw = _typed(raw, where, dict)
    _known_keys(raw, BenchDataset, where)
    if "config" not in raw:
        raise InputError(f"{where}: needs `config` (the preset file, relative to {path.name})")
    configs = {fam: _config(value, path, f"{where}.configs.{fam}")
               for fam, value in _keyed(raw.get("configs") or {}, f"{where}.configs").items()}
    kwargs = {fam: dict(_typed(value, f"{where}.model_kwargs.{fam}", dict))
              for fam, value in _keyed(raw.get("model_kwargs") or {}, f"{where}.model_kwargs").items()}
    requires = tuple(_typed(p, f"{where}.requires", str)
                     for p in _typed(raw.get("requires") or [], f"{where}.requires", list))
    return BenchDataset(_config(raw["config"], path, f"{where}.config"),
                        _typed(raw.get("label", ""), f"{where}.label", str), requires,
                        _typed(raw.get("default", True), f"{where}.default", bool), configs, kwargs)


def _family(raw: Any, where: str) -> BenchFamily:
    raw = _typed(raw or {}, where, dict)
    _known_keys(raw, BenchFamily, where)
    model = raw.get("model")
    if model is not None:
        from .._registry import list_models

        if _typed(model, f"{where}.model", str) not in list_models():
            raise InputError(f"{where}.model: no model {model!r} in the zoo (`zoo models` lists them)")
    epochs = raw.get("epochs")
    if epochs is not None and (not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1):
        raise InputError(f"{where}.epochs: expected a whole number of at least 1, got {epochs!r}")
    return BenchFamily(model, dict(_typed(raw.get("model_kwargs") or {}, f"{where}.model_kwargs", dict)), epochs,
                       _typed(raw.get("preset_budget", False), f"{where}.preset_budget", bool))


def _column(raw: Any, where: str) -> BenchColumn:
    raw = _typed(raw, where, dict)
    _known_keys(raw, BenchColumn, where)
    for required in ("label", "key"):
        if required not in raw:
            raise InputError(f"{where}: needs `{required}`")
    spec = _typed(raw.get("format", ".4g"), f"{where}.format", str)
    try:
        format(1.5, spec)
    except ValueError:
        raise InputError(f"{where}.format: {spec!r} is not a number format (e.g. .4f, .2e, ,)") from None
    per = raw.get("per")
    return BenchColumn(_typed(raw["label"], f"{where}.label", str), _typed(raw["key"], f"{where}.key", str), spec,
                       None if per is None else _typed(per, f"{where}.per", str))


def _check_families(names: list[str], where: str) -> None:
    from .._registry import list_families

    known = list_families(core_only=False)
    unknown = sorted({n for n in names if n not in known})
    if unknown:
        raise InputError(f"{where}: unknown family {', '.join(unknown)}; the zoo has {', '.join(known)}")


def _known_keys(raw: dict, cls: type, where: str, skip: tuple[str, ...] = ()) -> None:
    allowed = [f.name for f in fields(cls) if f.name not in skip]
    for key in raw:
        if key not in allowed:
            raise InputError(f"{where}: unknown key {key!r}; expected one of {', '.join(allowed)}")


EXPECTED = {dict: "a mapping (key: value)", list: "a list", str: "text", bool: "true or false"}


def _typed(raw: Any, where: str, kind: type):
    """``raw`` when it is a ``kind`` (a YAML mapping, list, string or boolean), else an error naming ``where``."""
    if not isinstance(raw, kind):
        shown = repr(raw) if kind is bool else type(raw).__name__
        raise InputError(f"{where}: expected {EXPECTED[kind]}, got {shown}")
    return raw


def _keyed(raw: Any, where: str) -> dict:
    """A mapping whose keys are dataset or family names (lower case, digits, underscores)."""
    for key in _typed(raw, where, dict):
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise InputError(f"{where}: key {key!r} must be lower-case letters, digits and underscores")
    return raw


def _minutes(raw: Any, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not raw > 0:
        raise InputError(f"{where}: expected a positive number of minutes, got {raw!r}")
    return float(raw)


def _config(raw: Any, bench: Path, where: str) -> Path:
    """A preset named relative to the bench file; it must be a file in the same folder tree."""
    config = bench.parent / _typed(raw, where, str)
    if not config.is_file():
        raise InputError(f"{where}: {config} is not a file")
    return config
