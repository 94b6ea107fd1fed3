"""The genomics tab of `zoo serve`: a pasted DNA sequence -> predicted activity and its in-silico mutagenesis map.

The sequence is encoded and fitted to the model's length exactly as `zoo science genomics score` does
(``sequences.one_hot``: centre-cropped when longer, N-padded on both sides when shorter); the map is
``interpret.ism`` drawn by ``plots.plot_attribution``. The handlers are plain functions (the tests call them without
a browser); each run is loaded once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image

from zoo._hub import EXAMPLES
from zoo.checkpoint import SafeCheckpointIO, task_hparams
from zoo.errors import InputError, one_line
from zoo.runtime.serve import loaded, no_run_message, run_picker
from zoo.trust.reader import load_safetensors_tensor, safetensors_shapes

from .interpret import ism, position_scores
from .plots import plot_attribution
from .sequences import check_sequence, decode, fit_length, one_hot
from .task import ActivityTask

MAX_LETTERS = 10_000  # what the page reads; the model sees its own length of it anyway
TOP = 5  # positions the text names


@dataclass
class Scorer:
    """A run ready to score: the task (model + target scaling), its input length, and what its numbers mean."""

    task: ActivityTask
    length: int
    units: str


def training_spec(run: Path) -> tuple[dict, bool]:
    """The fit's ``data_spec`` (length, the training targets' mean and spread) and ``rc_average``, read from the
    best checkpoint's hyperparameters (weights_only, plain values: ``zoo.checkpoint``), as `score` reads them;
    ({}, True) when the run kept no checkpoint (predictions are then in standardised units)."""
    for name in ("best.ckpt", "last.ckpt"):
        ckpt = run / "checkpoints" / name
        if ckpt.is_file():
            hparams = task_hparams(SafeCheckpointIO().load_checkpoint(ckpt), ActivityTask, ckpt)
            return dict(hparams.get("data_spec") or {}), bool(hparams.get("rc_average", True))
    return {}, True


def example_length(folder: Path) -> int:
    """L of the held-out inputs the run saved (examples.safetensors, (8, L, 4)): the length the model was fitted at."""
    path = folder / EXAMPLES
    if not path.is_file():
        raise InputError(f"{folder}: cannot tell the model's sequence length (no {EXAMPLES}, no checkpoint)")
    shape = safetensors_shapes(path).get("inputs")  # header bounded, no link (zoo.trust.reader)
    if not shape or len(shape) != 3:
        raise InputError(f"{path}: expected an 'inputs' tensor of shape (N, L, 4), found {shape}")
    return int(shape[1])


@lru_cache(maxsize=4)
def _load(run: str) -> Scorer:
    folder = Path(run) / "model"
    spec, rc_average = training_spec(Path(run))
    task = ActivityTask(init_from=str(folder), data_spec=spec, rc_average=rc_average).eval()  # zoo.from_pretrained
    length = int(spec.get("length") or example_length(folder))
    units = (f"in the units of its training data ({spec.get('dataset', '?')})" if "target_std" in spec else
             "in standard deviations from the training mean (the run kept no checkpoint with the targets' scale)")
    return Scorer(task, length, units)


def scorer_of(run: str) -> Scorer:
    """The run's scorer, loaded on first use; a run that cannot be loaded is a message, not a traceback."""
    return loaded(_load, run, "genomics")


def describe(run: str) -> str:
    """The title line: which run folder answers, and the length its model reads."""
    try:
        s = scorer_of(run)
    except gr.Error as e:
        return f"**{e.message}**"
    return (f"**Run:** `{run}`: {s.task.model.config['name']}, reads {s.length} nt (longer sequences are "
            f"centre-cropped, shorter ones N-padded on both sides, as `zoo science genomics score` does).")


def clean(text: str | None) -> str:
    """The pasted text as one upper-case sequence: whitespace and line breaks removed, a leading FASTA header line
    (``>name``) ignored; refuses empty text, too long a text and any letter outside ACGTN, naming it."""
    lines = (text or "").strip().splitlines()
    if lines and lines[0].startswith(">"):
        lines = lines[1:]
    seq = "".join("".join(lines).split()).upper()
    if not seq:
        raise gr.Error("No sequence given: paste DNA made of A, C, G and T (N for an unknown base).")
    if len(seq) > MAX_LETTERS:
        raise gr.Error(f"The sequence has {len(seq):,} letters; the limit is {MAX_LETTERS:,}: paste a shorter one.")
    try:
        check_sequence(seq)
    except InputError as e:
        raise gr.Error(f"The {one_line(e)} (positions count letters only; spaces and line breaks are left "
                       "out).") from None
    return seq


def fitting(n: int, length: int) -> tuple[str, int]:
    """What was done to fit ``n`` letters to the model's ``length`` (in words), and the user's position of the
    model's first base (negative: that many Ns were padded in front)."""
    if n == length:
        return f"Input: {n} nt, the model's length.", 0
    if n > length:
        start = (n - length) // 2
        return (f"Input: {n} nt, longer than the model's {length}: centre-cropped to positions {start + 1}-"
                f"{start + length}, as zoo science genomics score does.", start)
    left = (length - n) // 2
    return (f"Input: {n} nt, shorter than the model's {length}: padded with {left} N before and {length - n - left} "
            "after, as zoo science genomics score does.", -left)


def score(run: str, text: str) -> tuple[str, np.ndarray]:
    """Handler of Score: (the prediction and the most important positions as text, the ISM map as an image)."""
    s = scorer_of(run)
    seq = clean(text)
    x = torch.from_numpy(one_hot(fit_length(seq, s.length), s.length))[0]  # (L, 4)
    with torch.inference_mode():
        value = float(s.task(x[None])[0])
    effect = position_scores(ism(s.task, x)) * s.task.target_std  # (L,): mean drop when the base is mutated
    how, offset = fitting(len(seq), s.length)
    lines = [f"Predicted activity: {value:.4f} ({s.units}).", how, top_positions(effect, decode(x[None])[0], offset)]
    title = (f"{Path(run).name}: predicted activity {value:.3f} (x: position in the model's {s.length}-nt input, "
             "from 0)")
    return "\n".join(lines), ism_picture(x, effect.numpy(), title)


def top_positions(effect: torch.Tensor, bases: str, offset: int) -> str:
    """The ``TOP`` positions (1-based, in the pasted sequence) whose mutation changes the prediction most."""
    order = [int(i) for i in effect.abs().argsort(descending=True) if bases[int(i)] != "N"][:TOP]
    named = ", ".join(f"{i + offset + 1} {bases[i]} ({float(effect[i]):+.3f})" for i in order)
    return ("Most important positions (ISM: how much the prediction drops, on average, when the base is mutated): "
            + (named or "none (the sequence is all N)") + ".")


def ism_picture(x: torch.Tensor, effect: np.ndarray, title: str) -> np.ndarray:
    """The app's attribution plot of the ISM map, as an RGB array (the temporary PNG is removed)."""
    with tempfile.TemporaryDirectory(prefix="zoo-serve-") as tmp:
        png = plot_attribution(x, {"ISM": effect}, Path(tmp) / "ism.png", title)  # closes its figure
        with Image.open(png) as img:
            return np.asarray(img.convert("RGB"))  # (H, W, 3)


def sample(run: str, index: int) -> tuple[str, int]:
    """Handler of the sample button: the next of the run's held-out test sequences (examples.safetensors), and
    the index after it."""
    s = scorer_of(run)
    path = Path(run) / "model" / EXAMPLES
    if not path.is_file():
        raise gr.Error(f"The run {run} saved no example sequences ({EXAMPLES}); paste one instead.")
    try:
        shape = safetensors_shapes(path).get("inputs")  # header bounded, no link (zoo.trust.reader)
    except InputError as e:
        raise gr.Error(one_line(e)) from None
    if not shape or len(shape) != 3 or not shape[0]:
        raise gr.Error(f"{path}: no 'inputs' tensor of shape (N, L, 4) (the example sequences the run saved)")
    try:  # only that tensor, its size bounded (zoo.trust.reader)
        inputs = load_safetensors_tensor(path, "inputs")  # (N, L, 4)
    except InputError as e:
        raise gr.Error(one_line(e)) from None
    i = int(index or 0) % len(inputs)
    return decode(inputs[i:i + 1])[0].strip("N") or "N" * s.length, i + 1


def tab(runs: Sequence[Path]) -> None:
    """The tab's components and their wiring (inside the open gr.Tab)."""
    if not runs:
        gr.Markdown(no_run_message("science/genomics", "zoo science genomics fit -c "
                                   "apps/science/genomics/configs/synthetic_quick.yaml --name quick"))
        return
    choices = [str(r) for r in runs]
    title = gr.Markdown(describe(choices[0]), elem_id="genomics-title")
    run = run_picker(runs, "genomics-run")
    sequence = gr.Textbox(label="DNA sequence (A, C, G, T, N; any case; spaces and line breaks are ignored)",
                          lines=4, max_lines=12, placeholder="ACGTTGACTCAGGA...", elem_id="genomics-sequence")
    with gr.Row():
        score_button = gr.Button("Score", variant="primary", elem_id="genomics-score")
        sample_button = gr.Button("A held-out test sequence", elem_id="genomics-sample")
    activity = gr.Textbox(label="predicted activity", lines=3, interactive=False, elem_id="genomics-activity")
    picture = gr.Image(label="in-silico mutagenesis: bars coloured by base (A green, C blue, G orange, T red)",
                       interactive=False, elem_id="genomics-ism")
    index = gr.State(0)
    run.change(describe, run, title)
    score_button.click(score, [run, sequence], [activity, picture])
    sample_button.click(sample, [run, index], [sequence, index])
