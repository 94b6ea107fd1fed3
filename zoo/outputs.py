"""What a run writes for people and programs: JSON written atomically, PNG figures (no window ever opens)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # files only; never a window
import matplotlib.pyplot as plt  # noqa: E402


def write_json(path: str | Path, payload: dict) -> Path:
    """Write JSON atomically (temporary file + rename): a crash never leaves half a metrics.json."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True, default=_jsonable)
        f.write("\n")
    os.replace(tmp, path)
    return path


def _jsonable(o):
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def plot_gradient_norms(curves: dict[str, list[tuple[str, float]]], out_png: str | Path, title: str = "") -> Path:
    """Gradient norm by layer depth (input on the left), one line per label: where gradients vanish or explode."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for label, norms in curves.items():
        ax.plot(range(len(norms)), [max(n, 1e-30) for _, n in norms], marker=".", label=label)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set(xlabel="layer (input -> output)", ylabel="gradient L2 norm", yscale="log",
           title=title or "gradient norm by depth")
    ax.legend()
    return save_figure(fig, out_png)


def save_figure(fig, out_png: str | Path) -> Path:
    """Save a matplotlib figure as PNG (folders made, layout tightened, figure closed)."""
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return out_png
