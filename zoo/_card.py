"""The model card of a model folder (its README.md): the Hugging Face Hub's YAML metadata header, then a
body for people (how to load it, its config, its held-out metrics).

The header is what the Hub indexes and searches: library, licence, datasets, tags, task, and the metrics as
a ``model-index``. It is built with huggingface_hub's own ``ModelCardData`` / ``EvalResult`` when that
package is installed, so the Hub's format stays its maintainers' to keep; without it (an optional extra) the
same fields are written with ``yaml.safe_dump``, and the Hub's parser reads both the same way.
"""

from __future__ import annotations

import math
import numbers
import re
from types import ModuleType

import yaml

from ._registry import model_info

LIBRARY = "zoo-suite"
# What a caller may say about the data and task (``save_pretrained(card=...)``), and the type of each.
CARD_KEYS: dict[str, type] = {"datasets": list, "dataset_name": str, "license": str, "task": str,
                              "tags": list}
# The Hub's pipeline tag for a model built for an input kind, where the kind says it (a field or sequence
# model regresses physics or biology, for which the Hub has no task).
PIPELINE_TAGS = {"image": "image-classification", "seq2seq": "translation", "board": "reinforcement-learning"}
FALLBACK_TASK = "other"  # the model-index needs a task type; the Hub's own name for "none of ours"


def huggingface_hub() -> ModuleType | None:
    """The huggingface_hub module, or None where it is not installed (an optional extra, zoo-suite[hub]).
    One place to ask, so a test can simulate its absence."""
    try:
        import huggingface_hub as hub
    except ImportError:
        return None
    return hub


def check_card(card: dict | None) -> dict:
    """``card`` checked: only the known keys, each with plain values of its type, so nothing but strings
    reaches a README that strangers read and the Hub parses."""
    card = dict(card or {})
    for key, value in card.items():
        if key not in CARD_KEYS:
            raise ValueError(f"card: unknown key {key!r}; allowed keys: {', '.join(CARD_KEYS)}")
        kind = CARD_KEYS[key]
        if not isinstance(value, kind) or (kind is list and not all(isinstance(v, str) for v in value)):
            expected = "a list of strings" if kind is list else "a string"
            raise ValueError(f"card[{key!r}]: expected {expected}, got {value!r}")
    return card


def model_card(config: dict, n_params: int, metrics: dict, notes: str, card: dict | None = None) -> str:
    """The README.md of a model folder: the Hub's metadata header, then the body."""
    header = header_yaml(card_fields(config, metrics, check_card(card)))
    return f"---\n{header}---\n\n" + card_body(config, n_params, metrics, notes)


def card_fields(config: dict, metrics: dict, card: dict) -> dict:
    """The header's fields as plain values (None: left out), the one source both YAML writers render."""
    task = card.get("task") or _pipeline_tag(config)
    datasets = list(card.get("datasets") or [])
    dataset_name = card.get("dataset_name") or (datasets[0] if datasets else None)
    return {"datasets": datasets or None, "library_name": LIBRARY, "license": card.get("license") or "other",
            "pipeline_tag": task, "tags": _tags(config, card), "model_name": config["name"],
            "task": task or FALLBACK_TASK,
            "task_name": (task or FALLBACK_TASK).replace("-", " ").capitalize(),
            "dataset_name": dataset_name,
            "dataset_type": datasets[0] if datasets else _slug(dataset_name or ""),
            # a metric on data nobody named would mislead a leaderboard: such metrics stay in the body
            "results": _held_out(metrics) if dataset_name else []}


def _pipeline_tag(config: dict) -> str | None:
    kinds = _kinds(config)
    return PIPELINE_TAGS.get(kinds[0]) if kinds else None


def _kinds(config: dict) -> list[str]:
    """The input kind the model was built for (for an old config, every kind its builder supports)."""
    if isinstance(config.get("in_kind"), str):
        return [config["in_kind"]]
    try:
        return list(model_info(config["name"]).kinds)
    except KeyError:
        return []


def _tags(config: dict, card: dict) -> list[str]:
    try:
        family = [model_info(config["name"]).family]
    except KeyError:  # a model registered by a plugin that is not imported now
        family = []
    tags = [LIBRARY, *family, *_kinds(config), *card.get("tags", [])]
    return list(dict.fromkeys(tags))  # unique, in order


def _held_out(metrics: dict) -> list[tuple[str, float | int]]:
    """The metrics that are finite numbers, as Python numbers (a model-index holds numbers; NaN is none)."""
    return [(k, v if isinstance(v, int) else float(v)) for k, v in metrics.items()
            if isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def header_yaml(fields: dict) -> str:
    """The YAML between the header's ``---`` lines: by huggingface_hub where installed, else by pyyaml."""
    hub = huggingface_hub()
    return _hub_yaml(hub, fields) if hub is not None else _plain_yaml(fields)


def _hub_yaml(hub: ModuleType, f: dict) -> str:
    results = [hub.EvalResult(task_type=f["task"], task_name=f["task_name"], dataset_type=f["dataset_type"],
                              dataset_name=f["dataset_name"], dataset_split="test", metric_type=name,
                              metric_name=name, metric_value=value) for name, value in f["results"]]
    data = hub.ModelCardData(datasets=f["datasets"], library_name=f["library_name"], license=f["license"],
                             pipeline_tag=f["pipeline_tag"], tags=f["tags"],
                             model_name=f["model_name"] if results else None, eval_results=results or None)
    return data.to_yaml() + "\n"


def _plain_yaml(f: dict) -> str:
    """What ``ModelCardData.to_yaml`` writes for the same fields, in the same order."""
    keys = ("datasets", "library_name", "license", "pipeline_tag", "tags")
    data = {k: f[k] for k in keys if f[k] is not None}
    if f["results"]:
        data["model-index"] = [{"name": f["model_name"], "results": [{
            "task": {"type": f["task"], "name": f["task_name"]},
            "dataset": {"name": f["dataset_name"], "type": f["dataset_type"], "split": "test"},
            "metrics": [{"type": name, "value": value, "name": name} for name, value in f["results"]]}]}]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def card_body(config: dict, n_params: int, metrics: dict, notes: str) -> str:
    """The part people read: what the model is, how to load it, its config and its metrics."""
    lines = [f"# {config['name']}", "", f"A zoo-suite model with {n_params:,} parameters.", ""]
    if notes:
        lines += [notes, ""]
    lines += ["## Load it", "", "```python", "import zoo",
              "model = zoo.from_pretrained('path/to/this/folder')  # or its Hub id, 'owner/name'", "```", "",
              "## Config", "", "| argument | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in config.items()]
    if metrics:
        lines += ["", "## Metrics", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |"
                  for k, v in metrics.items()]
    return "\n".join(lines) + "\n"
