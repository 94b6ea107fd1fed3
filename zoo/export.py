"""ONNX export of zoo models (torch's dynamo exporter), each file checked in onnxruntime against PyTorch.

One model becomes one or more graphs: a single forward for the image, sequence, token, field and board kinds;
an encoder and a one-token decoder step carrying its state for seq2seq models, so that a runtime without PyTorch
can run greedy or beam search with the same incremental cache as ``zoo.decoding``. The batch axis is dynamic
everywhere, and so are the source length and the decoder's past length of seq2seq graphs; a field model's grid
is fixed at the traced size (the FNO's truncated Fourier matrices are constants of its graph).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .trust.runfolder import checked_path

OPSET = 18
TOLERANCE = 1e-4  # max abs difference, fp32, that counts as the same function


class CannotExport(ValueError):
    """A model kind or family the exporter does not handle, with the reason."""


@dataclass
class Graph:
    """One ONNX file: a module, example inputs by name (the traced shapes), output names and dynamic axes."""

    name: str
    module: nn.Module
    inputs: dict[str, torch.Tensor]
    outputs: list[str]
    dynamic: dict[str, dict[int, str]] = field(default_factory=dict)  # input -> {axis: dimension name}
    exporter: str = "dynamo"  # or "torchscript": torch's older exporter, for what torch.export cannot trace

    def __post_init__(self):
        # A wrapper is made in training mode, and the TorchScript exporter puts a module back in the mode it
        # found it in, the model inside included: dropout would then run in the reference.
        self.module.eval()

    def signature(self) -> dict:
        """Input and output names with shapes (dynamic axes by name), for the export's README and tests."""
        def shape(name: str, tensor: torch.Tensor) -> list:
            axes = self.dynamic.get(name, {})
            return [axes.get(i, n) for i, n in enumerate(tensor.shape)]
        with torch.no_grad():
            outs = as_tuple(self.module(*self.inputs.values()))
        out_axes = self.output_axes()
        return {"inputs": {n: {"shape": shape(n, t), "dtype": str(t.dtype).removeprefix("torch.")}
                           for n, t in self.inputs.items()},
                "outputs": {n: {"shape": [out_axes.get(n, {}).get(i, s) for i, s in enumerate(t.shape)],
                                "dtype": str(t.dtype).removeprefix("torch.")} for n, t in zip(self.outputs, outs)}}

    def output_axes(self) -> dict[str, dict[int, str]]:
        """Dynamic axes of the outputs: the batch first, the rest where an output mirrors an input's name."""
        axes = {n: {0: "batch"} for n in self.outputs}
        for n in self.outputs:
            source = self.dynamic.get(n.removeprefix("new."))
            if source:
                axes[n] = dict(source)
        return axes


def as_tuple(out) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


class Normalised(nn.Module):
    """An image model with its input normalisation inside: raw pixels in [0, 1] in, logits out."""

    def __init__(self, model: nn.Module, mean: list[float], std: list[float]):
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.model((image - self.mean) / self.std)  # (B, K)


class Rescaled(nn.Module):
    """A field model with its scaling inside: physical fields in and out (the model itself works in normalised
    units)."""

    def __init__(self, model: nn.Module, scales: dict[str, float]):
        super().__init__()
        self.model = model
        for name in ("input_mean", "input_std", "target_mean", "target_std"):
            self.register_buffer(name, torch.tensor(float(scales[name])))

    def forward(self, field: torch.Tensor) -> torch.Tensor:
        out = self.model((field - self.input_mean) / self.input_std)  # (B, C_out, *grid)
        return out * self.target_std + self.target_mean


class Encoder(nn.Module):
    """src (B, S) -> the decoding state's tensors, in ``keys`` order."""

    def __init__(self, model: nn.Module, keys: list[str]):
        super().__init__()
        self.model, self.keys = model, keys

    def forward(self, src: torch.Tensor) -> tuple[torch.Tensor, ...]:
        state = self.model.encode(src)
        return tuple(state[k] for k in self.keys)


class DecoderStep(nn.Module):
    """(prev_tokens (B,), *state) -> (next-token logits (B, V), *new state), the state in ``keys`` order."""

    def __init__(self, model: nn.Module, keys: list[str]):
        super().__init__()
        self.model, self.keys = model, keys

    def forward(self, prev_tokens: torch.Tensor, *state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        logits, new = self.model.decode_step(prev_tokens, dict(zip(self.keys, state)))
        return (logits, *(new[k] for k in self.keys))


INPUT_NAMES = {"image": "image", "sequence": "sequence", "tokens": "tokens", "field": "field", "board": "planes"}
OUTPUT_NAMES = {"board": ["policy_logits", "value"], "field": ["prediction"]}


def graphs(model: nn.Module, example: torch.Tensor, normalisation: dict | None = None) -> list[Graph]:
    """The graphs that make up ``model``'s export, traced with ``example`` (a batch of its inputs: src for
    seq2seq); ``normalisation`` goes inside the graph: {"mean", "std"} of an image model's pixels, or a field
    model's {"input_mean", "input_std", "target_mean", "target_std"}."""
    model = model.eval()
    kind = model.config.get("in_kind")
    if kind == "seq2seq":
        return seq2seq_graphs(model, example)
    if kind not in INPUT_NAMES:
        raise CannotExport(f"{model.config['name']}: no ONNX export for in_kind={kind!r} (known: "
                           f"{', '.join([*INPUT_NAMES, 'seq2seq'])})")
    if kind == "image" and normalisation:
        model = Normalised(model, normalisation["mean"], normalisation["std"])
    elif kind == "field" and normalisation:
        model = Rescaled(model, normalisation)
    name = INPUT_NAMES[kind]
    dynamic = {name: {0: "batch"}}
    if kind in ("sequence", "tokens"):
        dynamic[name][1] = "length"
    exporter = "dynamo"
    if kind == "tokens" and packs(model):  # padded token rows are packed: see seq2seq_graphs
        exporter, example = "torchscript", example.clone()
        example[0, -1] = model.config.get("pad_id", 0)  # the trace must take the packing path
    return [Graph("model", model, {name: example}, OUTPUT_NAMES.get(kind, ["logits"]), dynamic, exporter)]


def packs(model: nn.Module) -> bool:
    """Whether the model runs an LSTM, which packs padded token sequences (pack_padded_sequence): their lengths
    are Python integers torch.export cannot trace, while torch's TorchScript exporter writes ONNX's LSTM with
    sequence_lens, the same function."""
    return any(isinstance(m, nn.LSTM) for m in model.modules())


def seq2seq_graphs(model: nn.Module, src: torch.Tensor) -> list[Graph]:
    """Encoder and decoder step; the step is traced one token in (a past of length 1), so that the past length
    is a dimension of its own rather than the empty cache's zero."""
    if not hasattr(model, "encode"):
        raise CannotExport(f"{model.config['name']}: a seq2seq model without encode/decode_step")
    with torch.no_grad():
        state = model.encode(src)
        keys = sorted(state)
        bos = torch.full((src.shape[0],), model.bos_id, dtype=torch.long)
        _, state = model.decode_step(bos, state)
    axes = {k: {0: "batch"} for k in keys}
    for k in keys:
        for axis, size in enumerate(state[k].shape[1:], start=1):
            if k.startswith("self_") and axis == 2:
                axes[k][axis] = "past"
            elif size == src.shape[1]:
                axes[k][axis] = "src_len"
    encoder = Graph("encoder", Encoder(model, keys), {"src": src}, keys, {"src": {0: "batch", 1: "src_len"}},
                    exporter="torchscript" if packs(model) else "dynamo")
    step_inputs = {"prev_tokens": bos, **{k: state[k] for k in keys}}
    step = Graph("decoder_step", DecoderStep(model, keys), step_inputs, ["logits", *[f"new.{k}" for k in keys]],
                 {"prev_tokens": {0: "batch"}, **axes})
    return [encoder, step]


def export_graph(graph: Graph, folder: Path) -> Path:
    """Write ``graph`` as ``folder/<name>.onnx`` with torch's dynamo exporter (weights inside the file)."""
    # The exporters open these names themselves: checked first (inside a run folder, no link on the way or at
    # the name); a large model's weights go to <name>.onnx.data beside it.
    path = checked_path(Path(folder) / f"{graph.name}.onnx")
    checked_path(path.with_name(path.name + ".data"))
    if graph.exporter == "torchscript":
        return export_torchscript(graph, path)
    dims: dict[str, torch.export.Dim] = {}

    def dim(name: str) -> torch.export.Dim:
        return dims.setdefault(name, torch.export.Dim(name.replace(".", "_")))

    shapes = {name: {axis: dim(d) for axis, d in graph.dynamic.get(name, {}).items()} for name in graph.inputs}
    if isinstance(graph.module, DecoderStep):  # *state: one tuple of shapes for the variadic argument
        state = tuple(shapes[k] for k in graph.inputs if k != "prev_tokens")
        shapes = {"prev_tokens": shapes["prev_tokens"], "state": state}
    else:  # by position: the module's own argument names are not the graph's input names
        shapes = tuple(shapes.values())
    with warnings.catch_warnings(), torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # the exporter's notes and progress lines on its own internals
        program = torch.onnx.export(graph.module, tuple(graph.inputs.values()), dynamo=True, opset_version=OPSET,
                                    input_names=list(graph.inputs), output_names=graph.outputs,
                                    dynamic_shapes=shapes, verbose=False)
    program.save(str(path))
    return path


def export_torchscript(graph: Graph, path: Path) -> Path:
    """``graph`` through torch's TorchScript-based exporter (dynamic axes by name, every output's batch too)."""
    axes = {**graph.dynamic, **graph.output_axes()}
    with warnings.catch_warnings(), torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # its notes on packed sequences' shape inference
        torch.onnx.export(graph.module, tuple(graph.inputs.values()), str(path), dynamo=False, opset_version=OPSET,
                          input_names=list(graph.inputs), output_names=graph.outputs, dynamic_axes=axes)
    return path


def max_difference(graph: Graph, path: Path, inputs: dict[str, torch.Tensor]) -> float:
    """Largest absolute difference between onnxruntime's outputs for ``inputs`` and the module's."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}  # an input the graph never reads is dropped by the exporter
    got = session.run(None, {n: t.numpy() for n, t in inputs.items() if n in wanted})
    with torch.no_grad():
        expected = as_tuple(graph.module(*inputs.values()))
    worst = 0.0
    for a, b in zip(got, expected):
        if b.numel():
            worst = max(worst, float(np.abs(a.astype(np.float64) - b.double().numpy()).max()))
    return worst
