"""`zoo export RUN_DIR --format onnx`: a run's model as ONNX files anyone can run without PyTorch.

The folder it writes (``RUN_DIR/export/onnx`` unless ``--out``) holds the ONNX file(s), what the inputs need (the
tokenizer, the image normalisation: copied from the model folder), ``export.json`` (names, shapes, the check) and
a README. Every file is run in onnxruntime on held-out inputs (the ones the run saved in its model folder, else
random inputs of the model's shape, as the README says) and compared with PyTorch.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import torch
from rich.table import Table

from .. import from_pretrained
from .._hub import CONFIG, EXAMPLES, PREPROCESSING, read_scaling
from ..errors import InputError, RefusedFile
from ..export import TOLERANCE, CannotExport, Graph, export_graph, graphs, max_difference
from ..outputs import write_json
from ..trust.runfolder import RunFolder
from .console import make_console

CARRIED = ("tokenizer.json", PREPROCESSING)  # files an exported model needs beside it
TRACE_ROWS = 2  # the trace's batch; the check runs on all the examples, so the dynamic batch is exercised


def model_folder(path: Path) -> Path:
    """A run folder's ``model/``, or ``path`` itself when it is a model folder; an InputError otherwise."""
    for folder in (path / "model", path):
        if (folder / CONFIG).is_file():
            return folder
    raise InputError(f"{path}: no model folder here (expected {path / 'model' / CONFIG} from a finished run, or a "
                     f"folder written by zoo.save_pretrained)")


def examples_for(folder: Path, config: dict, rows: int = 8) -> tuple[torch.Tensor, str]:
    """Held-out inputs saved by the run, else random ones of the model's input shape; and which they are."""
    saved = folder / EXAMPLES
    if saved.is_file():
        from ..trust.reader import load_safetensors_tensor

        # only that tensor, its header and size bounded, no link (zoo.trust.reader)
        return load_safetensors_tensor(saved, "inputs")[:rows], "held-out inputs the run saved (its test split)"
    return random_inputs(config, rows), "random inputs of the model's input shape (the run saved no examples)"


def random_inputs(config: dict, rows: int) -> torch.Tensor:
    """A batch shaped as the model's kind and config say (the zoo contract, ``zoo._registry.KINDS``)."""
    g = torch.Generator().manual_seed(0)
    kind, channels = config.get("in_kind"), config.get("in_channels", 1)
    if kind == "image":
        size = config.get("image_size", 32)
        return torch.rand(rows, channels, size, size, generator=g)
    if kind == "sequence":
        return torch.randn(rows, 64, channels, generator=g)
    if kind in ("tokens", "seq2seq"):
        return torch.randint(3, config["vocab_size"], (rows, 12), generator=g)
    if kind == "field":
        grid = (64,) if config.get("ndim", 1) == 1 else (32, 32)
        return torch.randn(rows, channels, *grid, generator=g)
    if kind == "board":
        return torch.randint(0, 2, (rows, channels, *config["board_size"]), generator=g).float()
    raise InputError(f"no ONNX export for in_kind={kind!r}")


def check_inputs(graph: Graph, model, examples: torch.Tensor) -> dict[str, torch.Tensor]:
    """The graph's inputs for the held-out ``examples``: the examples themselves, or for a decoder step the
    state its encoder gives them after one token."""
    if graph.name != "decoder_step":
        return {next(iter(graph.inputs)): examples}
    with torch.no_grad():
        state = model.encode(examples)
        prev = torch.full((examples.shape[0],), model.bos_id, dtype=torch.long)
        _, state = model.decode_step(prev, state)
        prev = torch.full_like(prev, model.eos_id)
    return {"prev_tokens": prev, **{k: state[k] for k in graph.inputs if k != "prev_tokens"}}


def export_run(path: Path, out: Path | None = None) -> dict:
    """Export the model of ``path`` (a run or a model folder), check every file; the summary as a dict."""
    folder = model_folder(Path(path))
    base = folder.parent if folder.name == "model" else folder
    default = out is None
    out = Path(out) if out else (base / "export" / "onnx" if folder.name == "model" else base / "onnx")
    carried = [name for name in CARRIED if os.path.lexists(folder / name)]
    for name in carried:  # before anything is built or written: a file the export copies is no link
        if os.path.islink(folder / name) or not (folder / name).is_file():
            raise RefusedFile(f"{folder / name} is a symbolic link or not a plain file; refusing to copy it into "
                              "an export (it could bring in any file on this machine)")
    model = from_pretrained(folder).eval()
    examples, source = examples_for(folder, model.config)
    normalisation = read_scaling(folder)
    try:
        parts = graphs(model, examples[:TRACE_ROWS], normalisation)
    except CannotExport as e:
        raise InputError(f"cannot export {folder}: {e}") from None
    # The export's folder: new, or made by an earlier export; the default one with no link on the way from the
    # run (a run's export/ linked elsewhere is refused), a --out anywhere the user says, but never a foreign one.
    target = RunFolder.claim(out, "--out", within=base if default else None)
    files = {}
    for graph in parts:
        try:
            file = export_graph(graph, target.root)
        except torch.onnx.errors.OnnxExporterError as e:  # both exporters' own failures (an op ONNX lacks, ...)
            raise InputError(f"cannot export {folder} ({graph.name}): torch's exporter failed: "
                             f"{str(e).strip().splitlines()[0]} (--debug shows the whole report)") from e
        diff = max_difference(graph, file, check_inputs(graph, model, examples))
        files[file.name] = {**graph.signature(), "max_abs_difference": diff, "within_tolerance": diff <= TOLERANCE}
    for name in carried:
        target.write_bytes(name, read_no_link(folder / name))
    summary = {"model": model.config["name"], "kind": model.config["in_kind"], "from": str(folder),
               "checked_on": f"{len(examples)} {source}", "tolerance": TOLERANCE, "files": files,
               "carried": carried, "normalisation_inside": bool(normalisation)}
    write_json(target.root / "export.json", summary)
    target.write_text("README.md", readme(summary))
    return {**summary, "out": str(out)}


def read_no_link(path: Path) -> bytes:
    """The bytes of ``path``, opened without following a link (one made since the check is refused too)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as e:
        raise RefusedFile(f"{path}: cannot be read as a plain file ({e.strerror}); refused") from None
    with os.fdopen(fd, "rb") as f:
        return f.read()


def readme(summary: dict) -> str:
    """The export folder's README: what each file takes and gives, and how to run it."""
    lines = [f"# {summary['model']} as ONNX", "",
             f"Exported by `zoo export` from `{summary['from']}`; checked in onnxruntime against PyTorch on "
             f"{summary['checked_on']} (max abs difference below {summary['tolerance']:g} counts as the same).", ""]
    if summary["normalisation_inside"]:
        unit = "pixels scaled to [0, 1]" if summary["kind"] == "image" else "fields in physical units"
        lines += [f"The model's normalisation is inside the graph: feed {unit}.", ""]
    if summary["carried"]:
        lines += [f"Beside it: {', '.join(summary['carried'])}.", ""]
    for name, info in summary["files"].items():
        lines += [f"## {name}", "", f"max abs difference: {info['max_abs_difference']:.3g}", "",
                  "| | name | shape | dtype |", "|---|---|---|---|"]
        for role in ("inputs", "outputs"):
            lines += [f"| {role[:-1]} | {n} | {s['shape']} | {s['dtype']} |" for n, s in info[role].items()]
        lines.append("")
    first = next(iter(summary["files"]))
    lines += ["## Run it", "", "```python", "import onnxruntime as ort",
              f"session = ort.InferenceSession('{first}')",
              "outputs = session.run(None, {name: array for the inputs above})", "```"]
    if "decoder_step.onnx" in summary["files"]:
        lines += ["", "Decoding: run the encoder once, then the step with `prev_tokens` = BOS and the encoder's "
                  "outputs as the state; feed each step's `new.*` outputs back as the next step's state."]
    return "\n".join(lines) + "\n"


def main(args) -> int:
    if args.format != "onnx":
        raise InputError(f"--format {args.format}: only onnx is supported")
    missing = [name for name in ("onnx", "onnxscript", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError(f"zoo export needs {', '.join(missing)}: pip install 'zoo-suite[export]'")
    summary = export_run(Path(args.run_dir), Path(args.out) if args.out else None)
    table = Table(title=f"zoo export: {summary['model']} ({summary['kind']}) -> {summary['out']}")
    for column in ("file", "inputs", "outputs", "max abs diff", f"≤ {TOLERANCE:g}"):
        table.add_column(column)
    for name, info in summary["files"].items():
        table.add_row(name, ", ".join(info["inputs"])[:60], ", ".join(info["outputs"])[:60],
                      f"{info['max_abs_difference']:.2e}", "yes" if info["within_tolerance"] else "NO")
    console = make_console()
    console.print(table)
    console.print(f"checked on {summary['checked_on']}; wrote {summary['out']}/"
                  f"{{{', '.join([*summary['files'], *summary['carried'], 'export.json', 'README.md'])}}}")
    return 0 if all(info["within_tolerance"] for info in summary["files"].values()) else 1
