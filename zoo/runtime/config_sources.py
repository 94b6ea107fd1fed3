"""Every config source of a command line, read by us into one plain dict, so that jsonargparse never opens a file
or a URL and never sees a string it could import.

jsonargparse reads a file wherever one may stand (``-c`` of any name, ``--trainer FILE``, a string in a config
naming another config) and imports whatever a ``class_path`` names while it parses. So a command line is read here
first: each ``-c`` file, each file given to a settings group, and each file a config names where a group or a
class may stand (an include) goes through ``zoo.trust.reader`` (bounded YAML, no aliases or tags, no URL); values
typed on the command line stay strings for jsonargparse to type, except inline mappings and lists, which are read
with the same bounds. The result is handed to jsonargparse as a dict (``parse_object``).

What each file said is kept apart (``CommandLine.files``) so that the rules for files can be checked on them
alone: a file may not name a place to write outside the run folder or a model to fetch from the Hub; the command
line may (it is the user's own).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cache import with_data_paths
from ..errors import InputError, RefusedFile
from ..trust.reader import check_plain, is_url, load_yaml, read_mapping, refuse_url
from ..trust.runfolder import RUN_NAME

CONFIG_FLAGS = ("-c", "--config")
HELP_FLAGS = ("-h", "--help")
MAX_INCLUDES = 8  # a config naming a config naming a config ...: deeper than this is not a preset of ours


@dataclass
class CommandLine:
    """A command line as data: its subcommand, the merged settings, and what each file contributed."""

    subcommand: str | None
    config: dict
    files: list[tuple[str, dict]] = field(default_factory=list)  # (file, the settings it gave), in order
    help: bool = False
    print_config: str | None = None  # None: not asked; "" or the flags given
    presets: Path | None = None  # the app's packaged presets: `-c NAME` names one when no file NAME is here


def read_command_line(argv: list[str], subcommands: tuple[str, ...] = (),
                      groups: tuple[str, ...] = (), presets: Path | None = None) -> CommandLine:
    """``argv`` (after the app's words) as a ``CommandLine``. ``groups`` are the keys that take a whole mapping (or
    a file of one): ``trainer``, ``model``, ``data``, the class-valued trainer settings. ``presets``: the app's
    packaged configs folder, where ``-c digits_quick`` finds ``digits_quick.yaml`` (an installed package has no
    checkout to give a path into)."""
    line = CommandLine(None, {}, presets=presets)
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in subcommands and line.subcommand is None:
            line.subcommand = arg
        elif arg in HELP_FLAGS:
            line.help = True
        elif arg.split("=", 1)[0] == "--print_config":
            line.print_config = arg.split("=", 1)[1] if "=" in arg else ""
        elif arg in CONFIG_FLAGS or arg.split("=", 1)[0] == "--config":
            value, i = _value(args, i, arg)
            where = "-c" if arg == "-c" else "--config"
            _merge(line.config, _config_source(value, where, groups, line))
        elif arg.startswith("--"):
            key, value, append, i = _option(args, i)
            _set(line.config, key, _typed(key, value, groups, line), append)
        else:
            raise InputError(f"unexpected argument {arg!r}: options are --key value (see --help)")
        i += 1
    line.config = with_data_paths(line.config)  # ../shared/data/... from $ZOO_DATA, from any working folder
    return line


def _value(args: list[str], i: int, arg: str) -> tuple[str, int]:
    if "=" in arg:
        return arg.split("=", 1)[1], i
    if i + 1 >= len(args):
        raise InputError(f"{arg} expects a value")
    return args[i + 1], i + 1


def _option(args: list[str], i: int) -> tuple[str, str, bool, int]:
    """``--key value``, ``--key=value`` or ``--key+=value`` -> (key, value, append, last index used)."""
    arg = args[i]
    flag, eq, value = arg.partition("=")
    if not eq:
        if i + 1 >= len(args) or (args[i + 1].startswith("--") and len(args[i + 1]) > 2):
            raise InputError(f"{arg} expects a value (e.g. {arg} VALUE or {arg}=VALUE)")
        value, i = args[i + 1], i + 1
    append = flag.endswith("+")
    key = flag[2:].rstrip("+")
    if not key or any(not part.isidentifier() for part in key.split(".")):
        raise InputError(f"{flag}: not an option name (options are --section.key VALUE)")
    return key, value, append, i


def _typed(key: str, value: str, groups: tuple[str, ...], line: CommandLine) -> Any:
    """A command-line value: a file (where a group or class stands), an inline mapping or list (bounded), or the
    string itself for jsonargparse to type."""
    if key in groups:
        if is_url(value):
            refuse_url(value, f"--{key}")
        if Path(value).is_file():
            return _config_file(Path(value), f"--{key}", groups, line, depth=0, section=key)
    text = value.strip()
    if text.startswith(("{", "[")) or "\n" in text:
        parsed = load_yaml(value, f"--{key}")
        check_plain(parsed, f"--{key}", allow_classes=True)
        return parsed
    return value


def _config_source(value: str, where: str, groups: tuple[str, ...], line: CommandLine) -> dict:
    """``-c VALUE``: a file of any name, or inline YAML/JSON."""
    refuse_url(value, where)
    if Path(value).is_file():
        return _config_file(Path(value), where, groups, line, depth=0)
    if Path(value).exists():
        raise InputError(f"{where} {value}: not a file")
    packaged = preset_file(value, line.presets)
    if packaged is not None:
        return _config_file(packaged, where, groups, line, depth=0)
    if not value.lstrip().startswith("{"):
        names = f"; packaged presets: {', '.join(preset_names(line.presets))}" if line.presets else ""
        raise InputError(f"{where} {value}: no such file (give a config file, a packaged preset's name, or inline "
                         f"YAML/JSON in {{...}}){names}")
    data = load_yaml(value, where)
    check_plain(data, where, allow_classes=True)
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping of settings")
    return _with_subcommand(data, line)


def preset_file(name: str, presets: Path | None) -> Path | None:
    """The packaged preset ``name`` (``digits_quick`` or ``digits_quick.yaml``) in ``presets``; None if none."""
    if presets is None or not RUN_NAME.fullmatch(name):  # a plain name: no path, so never a file elsewhere
        return None
    path = presets / (name if name.endswith(".yaml") else f"{name}.yaml")
    return path if path.is_file() and path.name != "bench.yaml" else None


def preset_names(presets: Path | None) -> list[str]:
    return sorted(p.stem for p in presets.glob("*.yaml") if p.name != "bench.yaml") if presets else []


def _config_file(path: Path, where: str, groups: tuple[str, ...], line: CommandLine, depth: int,
                 section: str | None = None, seen: tuple[Path, ...] = ()) -> dict:
    """One config file (and the files it includes) as plain data; recorded in ``line.files``."""
    resolved = path.resolve()
    if resolved in seen:
        raise RefusedFile(f"{path}: includes itself (through {' -> '.join(str(s) for s in seen)})")
    if depth > MAX_INCLUDES:
        raise RefusedFile(f"{path}: config files include each other more than {MAX_INCLUDES} deep")
    data = read_mapping(path, allow_classes=True)
    data = _with_subcommand(data, line) if section is None else data
    data = _expand_includes(data, path.parent, groups, line, depth, section, (*seen, resolved))
    line.files.append((str(path), copy.deepcopy(data if section is None else _nest(section, data))))
    return data


def _expand_includes(data: dict, folder: Path, groups: tuple[str, ...], line: CommandLine, depth: int,
                     section: str | None, seen: tuple[Path, ...]) -> dict:
    """Strings standing where a group or a class may stand, that name a file beside the config: read them too
    (jsonargparse would); any other string there is left for the class table to judge."""
    out = dict(data)
    for key, value in data.items():
        dotted = f"{section}.{key}" if section else key
        if dotted in groups and isinstance(value, str):
            refuse_url(value, f"{folder}: {dotted}")
            candidate = Path(value) if Path(value).is_absolute() else folder / value
            if candidate.is_file():
                out[key] = _config_file(candidate, dotted, groups, line, depth + 1, dotted, seen)
        elif isinstance(value, dict) and any(g.startswith(dotted + ".") for g in groups):
            out[key] = _expand_includes(value, folder, groups, line, depth, dotted, seen)
    return out


def _with_subcommand(data: dict, line: CommandLine) -> dict:
    """A file may hold one subcommand's settings, or settings per subcommand (``fit: {...}``)."""
    if line.subcommand and isinstance(data.get(line.subcommand), dict):
        return data[line.subcommand]
    return data


def _nest(dotted: str, value: Any) -> dict:
    out: Any = value
    for part in reversed(dotted.split(".")):
        out = {part: out}
    return out


def _set(config: dict, key: str, value: Any, append: bool) -> None:
    """``config[a][b][c] = value`` for ``a.b.c``; a class named by a string becomes ``{"class_path": ...}`` when a
    setting is given beneath it (as jsonargparse reads ``--trainer.logger NAME --trainer.logger.init_args.x 1``)."""
    parts = key.split(".")
    node = config
    for part in parts[:-1]:
        child = node.get(part)
        if isinstance(child, str):
            child = {"class_path": child}
        elif isinstance(child, list) and child:  # `--trainer.callbacks.init_args.x` sets the last one's
            last = child[-1] if isinstance(child[-1], dict) else {"class_path": child[-1]}
            child[-1] = last
            node[part] = child
            node = last
            continue
        elif not isinstance(child, dict):
            child = {}
        node[part] = child
        node = child
    last = parts[-1]
    if append:
        current = node.get(last)
        items = current if isinstance(current, list) else ([] if current is None else [current])
        node[last] = items + (value if isinstance(value, list) else [value])
    elif isinstance(value, dict) and isinstance(node.get(last), dict) and _merges(key, node[last], value):
        _merge(node[last], value, key)
    else:
        node[last] = value


def _merges(path: str, current: dict, value: dict) -> bool:
    """Whether a later mapping at ``path`` merges into the earlier one (a settings group, a class's settings) or
    replaces it (a setting whose value is a mapping, such as ``model.model_kwargs``: jsonargparse replaces those,
    and merging would hand one family's arguments to another)."""
    return (path in ("trainer", "model", "data") or path.endswith(".init_args")
            or "class_path" in value or "class_path" in current)


def _merge(into: dict, other: dict, at: str = "") -> None:
    """Later sources win; groups and class settings merge key by key (naming another class starts its settings
    anew); any other mapping is replaced whole."""
    for key, value in other.items():
        current, path = into.get(key), f"{at}.{key}" if at else key
        if isinstance(current, dict) and isinstance(value, dict) and _merges(path, current, value):
            if "class_path" in value and value.get("class_path") != current.get("class_path"):
                into[key] = copy.deepcopy(value)
            else:
                _merge(current, value, path)
        else:
            into[key] = copy.deepcopy(value)


def merge(into: dict, other: dict, at: str = "") -> None:
    """``other``'s settings over ``into``'s (see ``_merge``); ``at``: where ``into`` sits (``model``)."""
    _merge(into, other, at)
