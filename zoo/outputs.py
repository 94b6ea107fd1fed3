"""What a run writes for people and programs: JSON written atomically, PNG figures (no window ever opens)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # files only; never a window
import matplotlib.pyplot as plt  # noqa: E402

from .trust import runfolder  # noqa: E402


def write_json(path: str | Path, payload: dict) -> Path:
    """Write JSON atomically (temporary file + rename): a crash never leaves half a metrics.json. Inside a run
    folder it goes through ``zoo.trust.runfolder`` (no link followed)."""
    text = json.dumps(payload, indent=2, sort_keys=True, default=_jsonable) + "\n"  # whole, before the file opens
    return runfolder.write_text(path, text)


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
    fig.tight_layout()
    buffer = io.BytesIO()  # matplotlib opens a file name itself, through links: we write its bytes instead
    fig.savefig(buffer, format=out_png.suffix.lstrip(".") or "png", dpi=110)
    plt.close(fig)
    return runfolder.write_bytes(out_png, buffer.getvalue())
