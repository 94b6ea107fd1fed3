"""A bench result (the JSON `zoo bench` writes) as table text: the same cells for the terminal (rich) and for the
README (``scripts/readme_tables.py``), so the two never disagree."""

from __future__ import annotations

from .machine import describe

FIXED = ("dataset", "family", "model", "parameters", "train s")


def table_cells(payload: dict) -> tuple[list[str], list[list[str]]]:
    """(headers, rows of text): the fixed columns, the headline metric, the bench file's columns, and a status
    column when some cell did not give a result."""
    rows = payload["rows"]
    headline = next((r["headline"]["name"] for r in rows if r.get("headline")), "headline")
    columns = payload.get("columns", [])
    with_status = any(r["status"] not in ("ok", "reused") for r in rows)
    headers = [*FIXED, headline, *(c["label"] for c in columns)] + (["status"] if with_status else [])
    text = []
    for r in rows:
        head = r.get("headline") or {}
        cells = [r.get("dataset_label", r["dataset"]), r["family"], r["model"], _number(r.get("parameters"), ","),
                 _number(r.get("train_s"), ".0f"), _number(head.get("value"), _headline_format(head.get("value")))]
        cells += [_number((r.get("values") or {}).get(c["label"]), c["format"]) for c in columns]
        text.append(cells + ([_status(r["status"])] if with_status else []))
    return headers, text


def caption(payload: dict) -> str:
    """What was run, where: the command, the budget, the machine."""
    return f"`{payload['command']}` on {describe(payload['machine'])}"


def print_table(payload: dict, console) -> None:
    from rich.table import Table

    headers, rows = table_cells(payload)
    table = Table(title=f"bench {payload['app']}: {payload.get('description') or ''}".rstrip(": "),
                  caption=caption(payload))
    for h in headers:
        table.add_column(h, justify="left" if h in ("dataset", "family", "model", "status") else "right")
    for r in rows:
        table.add_row(*r)
    console.print(table)


def _number(value, spec: str) -> str:
    """A value in its format; "-" when missing; "nan" (a diverged run) stays visible."""
    if value is None:
        return "-"
    return format(value, spec)


def _headline_format(value) -> str:
    """Scores in [0.01, 1) (accuracy, Pearson r, relative error) with four decimals, so that a column lines up;
    anything else (BLEU, a tiny error) with four significant digits."""
    return ".4f" if isinstance(value, float) and 0.01 <= abs(value) < 1 else ".4g"


def _status(status: str) -> str:
    return "" if status in ("ok", "reused") else status
