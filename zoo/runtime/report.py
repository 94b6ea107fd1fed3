"""What a run leaves for people: metrics.json, PNG plots, and the Markdown/HTML demo report."""

from __future__ import annotations

import csv
import html
import io
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # files only; never a window
import matplotlib.pyplot as plt  # noqa: E402

from ..errors import InputError, one_line
from ..outputs import plot_gradient_norms, save_figure, write_json  # noqa: F401  (apps import them from here too)
from ..trust.reader import read_text
from ..trust.runfolder import RunFolder

if TYPE_CHECKING:
    from .demo import StepResult


MAX_CSV_BYTES = 256 * 2**20  # a run's CSV log: a row a logging step, a few MB for the longest runs


def read_csv_log(paths: str | Path | list, by: str = "epoch") -> dict[str, list[tuple[float, float]]]:
    """Lightning CSVLogger metrics.csv file(s), oldest first -> {metric: [(x, value), ...]}, x the ``by`` column
    ("epoch" or "step"; the other one where a row lacks it).

    A later file's value for the same x (a resumed run redoing an epoch) replaces the earlier one.
    """
    other = "step" if by == "epoch" else "epoch"
    merged: dict[str, dict[float, float]] = {}
    for path in paths if isinstance(paths, list) else [paths]:
        text = read_text(path, max_bytes=MAX_CSV_BYTES)  # bounded, UTF-8 (zoo.trust.reader)
        try:
            for line, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), 2):
                x = row.get(by) or row.get(other)
                for key, value in row.items():
                    if key in ("epoch", "step") or value in ("", None):
                        continue
                    if x in ("", None) or not isinstance(value, str):
                        raise ValueError(f"line {line}: no {by} or {other}, or more values than columns")
                    merged.setdefault(key, {})[float(x)] = float(value)
        except (csv.Error, ValueError) as e:  # a file of another shape (or not a CSV log at all)
            raise InputError(f"{path}: not a Lightning CSV log ({one_line(e)})") from None
    return {k: sorted(v.items()) for k, v in merged.items()}


def plot_curves(csv_paths: str | Path | list, out_png: str | Path, title: str = "") -> Path | None:
    """Loss per epoch (train vs val) and every other epoch-level validation metric, one panel each."""
    series = read_csv_log(csv_paths)
    losses = {k: v for k, v in series.items() if k.endswith("loss_epoch") or k in ("val_loss", "train_loss")}
    # a loss logged per step and per epoch is one series: the epoch mean (each line's label names one series)
    losses = {k: v for k, v in losses.items() if f"{k}_epoch" not in losses}
    others = {k: v for k, v in series.items() if k.startswith("val_") and k != "val_loss"}
    if not losses and not others:
        return None
    fig, axes = plt.subplots(1, 1 + bool(others), figsize=(5 + 5 * bool(others), 3.6), squeeze=False)
    for key, pts in sorted(losses.items()):
        axes[0, 0].plot(*zip(*pts), marker=".", label=key.replace("_epoch", ""))
    axes[0, 0].set(xlabel="epoch", ylabel="loss", title="loss", yscale="log")
    if losses:
        axes[0, 0].legend()
    if others:
        for key, pts in sorted(others.items()):
            axes[0, 1].plot(*zip(*pts), marker=".", label=key)
        axes[0, 1].set(xlabel="epoch", title="validation")
        axes[0, 1].legend()
    if title:
        fig.suptitle(title)
    return save_figure(fig, out_png)


# -- the demo report ---------------------------------------------------------------------------------
def _fmt(v) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def demo_report(results: list[StepResult], out_dir: str | Path, title: str = "zoo-suite demo",
                sections: list[dict] | None = None) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` from the demo steps' results (their run records, or their errors).

    One section per step with its held-out metrics, baseline and plots, then a leaderboard of app x family, then the
    lesson tools' own reports (``sections``: title, report path, status), their images re-pointed to this folder.
    """
    out_dir = Path(out_dir)
    folder = RunFolder.claim(out_dir, "report folder")  # new, or one this tool made: never a user's own
    md = [f"# {title}", "", "| step | status | model | device | held-out metric | value | baseline | floor | verdict "
          "| seconds | samples/s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        md.append(_summary_row(r))
    for r in results:
        md += ["", f"## {r.step}", ""] + _step_section(r, out_dir)
    board = _leaderboard(results)
    if board:
        families = sorted({f for row in board.values() for f in row})
        md += ["", "## Leaderboard (app x family, held-out headline metric)", "",
               "| app | " + " | ".join(families) + " |", "|---" * (len(families) + 1) + "|"]
        for app, row in sorted(board.items()):
            md.append(f"| {app} | " + " | ".join(_fmt(row.get(f, "-")) for f in families) + " |")
    for sec in sections or []:
        md += ["", f"## {sec['title']}", ""]
        if sec["status"] != "ok":
            md.append(f"Failed: `{sec['status']}`")
            continue
        md += _embedded(Path(sec["report"]), out_dir)
    md_path = folder.write_text("report.md", "\n".join(md) + "\n")
    html_path = folder.write_text("report.html", _markdown_to_html("\n".join(md), title))
    return md_path, html_path


def _embedded(report: Path, out_dir: Path) -> list[str]:
    """Another report's lines, headings one level down and image paths made relative to ``out_dir``."""
    lines = []
    for line in report.read_text().splitlines():
        if line.startswith("#"):
            line = "#" + line if not line.startswith("# ") else None
        elif line.startswith("![") and "](" in line:
            alt, src = line[2:].split("](", 1)
            line = f"![{alt}]({os.path.relpath(report.parent / src.rstrip(')'), out_dir)})"
        if line is not None:
            lines.append(line)
    return lines


def _summary_row(r: StepResult) -> str:
    """The step's row of the summary table (a failed step shows its status only)."""
    rec = r.record
    if rec is None:
        return f"| {r.step} | failed | - | - | - | - | - | {r.floor_text()} | - | - | - |"
    base = rec.baseline.value if rec.baseline else "-"
    return (f"| {r.step} | {r.status} | {rec.model} | {rec.device} | {rec.headline.name} | {_fmt(rec.headline.value)} "
            f"| {_fmt(base)} | {r.floor_text()} | {r.verdict()} | {_fmt(_or_dash(rec.fit_seconds))} "
            f"| {_fmt(_or_dash(rec.train_samples_per_s))} |")


def _or_dash(value):
    return "-" if value is None else value


def _step_section(r: StepResult, out_dir: Path) -> list[str]:
    """The step's section: its run folder, baseline, held-out metrics and plots (or why it failed)."""
    rec = r.record
    if rec is None:
        return [f"Failed: `{r.error}`"]
    md = [f"Run folder: `{rec.run_dir}`", ""]
    if rec.timed_out:
        md += ["**Timed out**: its time cap ended training before the epochs or steps its preset gives, so this is "
               "not the model the preset describes.", ""]
    if rec.baseline:
        b = rec.baseline
        md += [f"Baseline ({b.description}): {b.name} = {_fmt(b.value)}", ""]
    md += ["| metric | value |", "|---|---|"] + [f"| {k} | {_fmt(v)} |" for k, v in rec.test.items()]
    for plot in rec.plots:
        rel = os.path.relpath(Path(rec.run_dir) / plot, out_dir)
        md += ["", f"![{Path(plot).stem}]({rel})"]
    return md


def _leaderboard(results: list[StepResult]) -> dict[str, dict[str, float]]:
    """app -> family -> headline value, over the steps that finished."""
    board: dict[str, dict[str, float]] = {}
    for r in results:
        if r.record is not None and r.record.family:
            board.setdefault(r.record.app, {})[r.record.family] = r.record.headline.value
    return board


def _inline(text: str) -> str:
    """Escaped text with our reports' inline Markdown rendered: `code` and **bold**."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for part in parts:
        if len(part) >= 2 and part.startswith("`") and part.endswith("`"):
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
        else:
            out.append(re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(part)))
    return "".join(out)


def _markdown_to_html(md: str, title: str) -> str:
    """Just enough Markdown (headings, tables, images, paragraphs) for our own reports."""
    out, in_table = [], False
    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            tag = "th" if not in_table else "td"
            if not in_table:
                out.append("<table>")
                in_table = True
            out.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
        elif line.startswith("![") and "](" in line:
            alt, src = line[2:].split("](", 1)
            out.append(f'<p><img src="{html.escape(src.rstrip(")"))}" alt="{html.escape(alt)}" style="max-width:900px"></p>')
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
    if in_table:
        out.append("</table>")
    style = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:4px 8px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(out) + "\n</body></html>\n")
