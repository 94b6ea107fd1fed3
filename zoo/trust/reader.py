"""THE reader: every file a stranger may have made is opened here, and read as bounded plain data.

A config, a run folder's ``config.yaml`` / ``settings.json`` / ``metrics.json``, a model folder's ``config.json``
or a checkpoint's hyperparameters may come from anyone. What they may hold:

- YAML without anchors, aliases or explicit tags (a "billion laughs" bomb is refused before it is expanded), JSON;
  at most ``MAX_BYTES`` of text, ``MAX_DEPTH`` levels of nesting and ``MAX_NODES`` values in all. Each bound is
  checked while parsing, so any bomb answers in milliseconds.
- Plain values only: ``None``, booleans, numbers, strings, and lists and string-keyed dicts of those; a key that
  would name a class to import (``class_path``, ``_instantiator``, ...) is refused unless the caller allows
  class paths (config files, checked against ``zoo.trust.classes``).
- A file reached through a folder must stay inside it: a symbolic link that leaves the folder is refused.
- A URL is refused: nothing is ever fetched because a file or flag named it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, RefusedFile

MAX_BYTES = 4 * 1024 * 1024  # configs, settings and metrics we write are a few KB
MAX_DEPTH = 32  # plain data nested deeper than this is not something we wrote
MAX_NODES = 200_000  # values in one document (a long list of numbers is fine; an exponential blow-up is not)
CLASS_KEYS = ("class_path", "_class_path", "_instantiator", "__class__", "__reduce__")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_TAGS = {None, "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
               "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def is_url(text: str) -> bool:
    return isinstance(text, str) and bool(URL.match(text.strip()))


def refuse_url(text: str, where: str) -> None:
    if is_url(text):
        raise RefusedFile(f"{where}: {text[:80]!r} is a URL; zoo-suite reads only local files (download it "
                          "yourself and pass the path)")


def load_yaml(text: str, source: str) -> Any:
    """``text`` as plain data: no anchors, aliases or tags, within the size, depth and node bounds."""
    if len(text) > MAX_BYTES:
        raise RefusedFile(f"{source}: {len(text):,} characters, over the {MAX_BYTES:,} a config may have")
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent):
                raise RefusedFile(f"{source} line {event.start_mark.line + 1}: a YAML alias (*{event.anchor}); "
                                  "aliases and anchors are refused (they can expand without bound)")
            anchor, tag = getattr(event, "anchor", None), getattr(event, "tag", None)
            if anchor is not None:
                raise RefusedFile(f"{source} line {event.start_mark.line + 1}: a YAML anchor (&{anchor}); "
                                  "aliases and anchors are refused (they can expand without bound)")
            if tag not in _PLAIN_TAGS:
                raise RefusedFile(f"{source} line {event.start_mark.line + 1}: the YAML tag {tag!r}; only plain "
                                  "values (no tags) are read")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise RefusedFile(f"{source} line {event.start_mark.line + 1}: nested more than {MAX_DEPTH} "
                                      "levels deep")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            nodes += isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent))
            if nodes > MAX_NODES:
                raise RefusedFile(f"{source}: more than {MAX_NODES:,} values")
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        mark = getattr(e, "problem_mark", None)
        where = f"{source} line {mark.line + 1}" if mark is not None else source
        raise InputError(f"{where}: not valid YAML ({first})") from None


def load_json(text: str, source: str) -> Any:
    """``text`` as JSON within the size, depth and node bounds."""
    if len(text) > MAX_BYTES:
        raise RefusedFile(f"{source}: {len(text):,} characters, over the {MAX_BYTES:,} a JSON file may have")
    _check_brackets(text, source)
    try:
        value = json.loads(text, parse_constant=_no_constant(source))
    except json.JSONDecodeError as e:
        raise InputError(f"{source} line {e.lineno}, column {e.colno}: not valid JSON ({e.msg})") from None
    count_nodes(value, source)
    return value


def _no_constant(source: str):
    def refuse(name: str):
        raise InputError(f"{source}: {name} is not a JSON value")
    return refuse


# A string (possessive, and an unclosed one runs to the end: one pass over any text, never a rescan from each of
# its escaped quotes) or a bracket
_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\Z)|[\[{]|[\]}]', re.S)


def _check_brackets(text: str, source: str) -> None:
    """Nesting depth of ``text`` before parsing (the C decoder would recurse first and ask questions later)."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise RefusedFile(f"{source}: nested more than {MAX_DEPTH} levels deep")
        elif token in "]}":
            depth -= 1


def count_nodes(value: Any, source: str, limit: int = MAX_NODES) -> int:
    """How many values ``value`` holds, refusing past ``limit`` or ``MAX_DEPTH`` (iterative: a shared sub-list
    counted each time it appears, so a pickle that repeats one object exponentially is refused, not walked)."""
    stack, count = [(value, 0)], 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > limit:
            raise RefusedFile(f"{source}: more than {limit:,} values")
        if depth > MAX_DEPTH:
            raise RefusedFile(f"{source}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend((v, depth + 1) for v in item)
    return count


def check_plain(value: Any, where: str, allow_classes: bool = False) -> None:
    """Raise ``RefusedFile`` unless ``value`` is bounded plain data; with ``allow_classes`` a ``class_path`` key
    may appear (a config file: ``zoo.trust.classes`` checks what it names)."""
    count_nodes(value, where)
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if item is None or isinstance(item, (bool, int, float, str)):
            continue
        if isinstance(item, (list, tuple)):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(item))
        elif isinstance(item, dict):
            for key, v in item.items():
                if not isinstance(key, str):
                    raise RefusedFile(f"{at}: key {key!r} is not a string")
                if key in CLASS_KEYS and not (allow_classes and key == "class_path"):
                    raise RefusedFile(f"{at}.{key}: a class to import ({str(v)[:80]!r}) where only plain values "
                                      "belong; refused, nothing was imported")
                stack.append((v, f"{at}.{key}"))
        else:
            raise RefusedFile(f"{at}: a {type(item).__name__} where only plain values (numbers, strings, lists, "
                              "dicts) belong")


def check_inside(path: str | Path, root: str | Path) -> Path:
    """``path`` resolved, after checking that it stays inside ``root`` once every link is followed."""
    resolved, root_resolved = Path(path).resolve(), Path(root).resolve()
    if resolved != root_resolved and root_resolved not in resolved.parents:
        raise RefusedFile(f"{path} leads to {resolved}, outside {root}; refused (a link out of the folder)")
    return resolved


def read_bytes(path: str | Path, root: str | Path | None = None, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file, at most ``max_bytes``; with ``root``, the file (links followed) must lie inside
    it. Errors name the file and what was expected."""
    path = Path(path)
    refuse_url(str(path), "path")
    if root is not None:
        check_inside(path, root)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size > max_bytes:
        raise RefusedFile(f"{path}: {size:,} bytes, over the {max_bytes:,} this kind of file may have")
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RefusedFile(f"{path}: over the {max_bytes:,} bytes this kind of file may have")
    return data


def read_text(path: str | Path, root: str | Path | None = None, max_bytes: int = MAX_BYTES) -> str:
    """UTF-8 text (a leading BOM removed) of a bounded file, errors naming it."""
    from ..errors import decode_text

    return decode_text(read_bytes(path, root, max_bytes), str(path))


def read_data(path: str | Path, root: str | Path | None = None, allow_classes: bool = False,
              nonfinite: bool = False) -> Any:
    """A YAML or JSON file (JSON by its ``.json`` name, YAML otherwise: YAML reads JSON too) as checked plain data.
    ``nonfinite``: JSON's ``NaN``/``Infinity`` read as floats (``metrics.json``, which records a diverged run)."""
    text = read_text(path, root)
    if str(path).endswith(".json"):
        value = (load_json_floats if nonfinite else load_json)(text, str(path))
    else:
        value = load_yaml(text, str(path))
    check_plain(value, str(path), allow_classes=allow_classes)
    return value


def read_mapping(path: str | Path, root: str | Path | None = None, allow_classes: bool = False,
                 nonfinite: bool = False) -> dict:
    """``read_data`` that must give a mapping (an empty file gives ``{}``)."""
    value = read_data(path, root, allow_classes, nonfinite)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{path}: expected a mapping of keys to values, found a {type(value).__name__}")
    return value


def parse_inline(text: str, where: str) -> Any:
    """An inline YAML/JSON value given on the command line, with the same bounds as a file."""
    value = load_yaml(text, where)
    check_plain(value, where, allow_classes=True)
    return value


def read_safetensors_header(path: str | Path, root: str | Path | None = None,
                            max_header: int = MAX_BYTES) -> dict:
    """The header of a safetensors file (``{tensor name: {"dtype", "shape", "data_offsets"}}`` and an optional
    ``"__metadata__"``), read without loading a tensor, for every place that looks inside such a file
    (``safe_open`` would trust a header of any size). The file must be a regular file; a symbolic link is refused,
    unless ``root`` is given and the link stays inside it (the Hugging Face cache links snapshot files to blobs).
    The 8-byte length must be within ``max_header`` and the file, the header bounded JSON (``load_json``), every
    shape a list of whole numbers and every tensor's bytes inside the file. Errors name the file."""
    import os

    from ..errors import decode_text

    path = Path(path)
    refuse_url(str(path), "path")
    if path.is_symlink() and root is None:
        raise RefusedFile(f"{path} is a symbolic link; refused (a model file is read only as itself)")
    if root is not None:
        check_inside(path, root)
    if not path.is_file():
        raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
    flags = os.O_RDONLY | (getattr(os, "O_NOFOLLOW", 0) if root is None else 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise RefusedFile(f"{path}: cannot be opened as a plain file ({e.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        if len(head) < 8:
            raise InputError(f"{path}: {size} bytes, too short to be a safetensors file (truncated?)")
        length = int.from_bytes(head, "little")
        if length > max_header:
            raise RefusedFile(f"{path}: a safetensors header of {length:,} bytes, over the {max_header:,} one may "
                              "have (corrupt, or not a safetensors file)")
        if 8 + length > size:
            raise InputError(f"{path}: the safetensors header says {length:,} bytes but the file has {size:,} "
                             "(truncated, or not a safetensors file)")
        raw = f.read(length)
    where = f"{path} (safetensors header)"
    header = load_json(decode_text(raw, where).rstrip(" "), where)
    if not isinstance(header, dict):
        raise InputError(f"{where}: expected a JSON object of tensors, found a {type(header).__name__}")
    data = size - 8 - length
    for name, info in header.items():
        if name == "__metadata__":
            continue
        shape = info.get("shape") if isinstance(info, dict) else None
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if (not isinstance(info.get("dtype") if isinstance(info, dict) else None, str)
                or not isinstance(shape, list) or not all(_whole(v) for v in shape)
                or not isinstance(offsets, list) or len(offsets) != 2 or not all(_whole(v) for v in offsets)
                or not offsets[0] <= offsets[1] <= data):
            raise InputError(f"{where}: tensor {str(name)[:80]!r} has no valid dtype, shape and data offsets "
                             "inside the file (corrupt, or not a safetensors file)")
    return header


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def safetensors_shapes(path: str | Path, root: str | Path | None = None) -> dict[str, tuple[int, ...]]:
    """``{tensor name: shape}`` of a safetensors file, from ``read_safetensors_header``."""
    header = read_safetensors_header(path, root)
    return {k: tuple(v["shape"]) for k, v in header.items() if k != "__metadata__"}


def load_json_floats(text: str, source: str) -> Any:
    """``load_json`` for the files our own writers make (``metrics.json``): ``NaN`` and ``Infinity``, which
    ``json.dumps`` writes for a non-finite float (a diverged loss, an Elo never lost), read as floats; the same
    size, depth and node bounds."""
    if len(text) > MAX_BYTES:
        raise RefusedFile(f"{source}: {len(text):,} characters, over the {MAX_BYTES:,} a JSON file may have")
    _check_brackets(text, source)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{source} line {e.lineno}, column {e.colno}: not valid JSON ({e.msg})") from None
    count_nodes(value, source)
    return value


MAX_TENSOR_BYTES = 1 << 30  # one tensor a page or export loads from a file (held-out examples: a few MB)


def load_safetensors_tensor(path: str | Path, name: str, root: str | Path | None = None,
                            max_bytes: int = MAX_TENSOR_BYTES):
    """The one tensor ``name`` of a safetensors file, after ``read_safetensors_header`` checked the file (header
    bounded, no link out, offsets inside the file) and that the tensor is there and within ``max_bytes``; only that
    tensor is read. Errors name the file."""
    header = read_safetensors_header(path, root)
    info = header.get(name) if name != "__metadata__" else None
    if info is None:
        found = ", ".join(k for k in header if k != "__metadata__")[:200] or "none"
        raise InputError(f"{path}: no {name!r} tensor (found {found})")
    start, end = info["data_offsets"]
    if end - start > max_bytes:
        raise RefusedFile(f"{path}: tensor {name!r} holds {end - start:,} bytes, over the {max_bytes:,} one may have")
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return f.get_tensor(name)
    except (SafetensorError, OSError, ValueError) as e:
        raise InputError(f"{path}: tensor {name!r} cannot be read ({' '.join(str(e).split())[:200]})") from None
