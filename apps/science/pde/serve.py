"""The PDE tab of `zoo serve`: the surrogate's prediction beside the classical solver's, with both timings.

Everything comes from the run: the equation, its parameters (nu, t) and the grid from its config.yaml (data
``init_args``), the model from ``model/`` (``zoo.from_pretrained`` through the task's ``init_from``), the
held-out inputs from ``model/examples.safetensors``. The solver is the app's floor solver
(``generate.solve_at``) at the model's grid; a random input comes from the app's own random fields
(``grf.py``, ``darcy.py``).
"""

from __future__ import annotations

import functools
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

from zoo._hub import EXAMPLES, read_config, read_scaling
from zoo.checkpoint import SafeCheckpointIO
from zoo.errors import EXPECTED, InputError, one_line
from zoo.runtime.serve import check_model_inside, no_run_message, run_picker
from zoo.trust.reader import load_safetensors_tensor, read_mapping, safetensors_shapes

from .darcy import darcy_coefficients
from .data import PDEDataModule, load_arrays, relative_l2
from .generate import check_params, get_pde, solve_at
from .grf import periodic_grf_1d, periodic_grf_2d
from .task import FieldTask  # imports the app's plots module, which selects matplotlib's Agg backend

QUICK = "zoo science pde fit -c apps/science/pde/configs/burgers_quick.yaml --name burgers"
# The equations solved live (generate.solve_at), the solver's name, and the random input at n points per axis.
SOLVERS = {"burgers": "pseudo-spectral integrating-factor RK4", "darcy": "finite differences + SuperLU",
           "navier_stokes": "pseudo-spectral RK4"}
RANDOM = {"burgers": ("random initial condition", lambda rng, n: periodic_grf_1d(rng, 1, n)),
          "darcy": ("random coefficient field", lambda rng, n: darcy_coefficients(rng, 1, n)),
          "navier_stokes": ("random initial vorticity", lambda rng, n: periodic_grf_2d(rng, 1, n))}


@dataclass
class FieldRun:
    task: FieldTask  # physical input -> physical prediction (the training split's normalisation inside)
    pde: str
    params: dict  # the solver's physical parameters, e.g. {"nu": 0.1, "t": 1.0}
    resolution: int  # grid points per axis the model was trained at
    examples: torch.Tensor  # (N, C, *grid) held-out test inputs


def data_args(run: Path) -> dict:
    """The run's data settings: ``data.init_args`` of its config.yaml (read as data)."""
    path = run / "config.yaml"
    if not path.is_file():
        raise InputError(f"{path} is missing: the tab reads the run's equation and grid from it")
    config = read_mapping(path, root=run, allow_classes=True)  # bounded, no aliases (zoo.trust.reader)
    data = config.get("data")
    init = data.get("init_args") if isinstance(data, dict) else None
    if not isinstance(init, dict):
        raise InputError(f"{path}: no data.init_args mapping (the PDE data module's settings)")
    return init


def equation(run: Path, init: dict) -> tuple[str, dict]:
    """The run's PDE and the solver parameters its data was made with, or an InputError saying why the tab
    cannot solve it live."""
    pde = init.get("pde", "burgers")
    if pde not in SOLVERS:
        raise InputError(f"{run} was trained on the equation {pde!r}; this tab solves live only "
                         f"{', '.join(SOLVERS)}")
    params = init.get("params") or {}
    if init.get("path"):  # a file: its solver and parameters are those its 'meta' names, when it names any
        meta = load_arrays(init["path"], get_pde(pde).ndim)[2]
        if meta.get("pde") != pde:
            raise InputError(f"{run} was trained on {init['path']}, data not made by this app's {pde} "
                             "solver: there is no solver to compare with")
        params = meta.get("params") or {}
    return pde, check_params(pde, params)


def data_spec(run: Path, init: dict) -> dict:
    """The training split's normalisation (and channels, grid) the model was fitted with: from the model
    folder's ``preprocessing.json``; for runs older than it, from the run's checkpoint (its hyperparameters,
    read weights-only), else the data module recomputes it from the run's data settings (regenerating the data
    when it is not cached: slow)."""
    scales = read_scaling(run / "model")
    if scales and "input_mean" in scales:
        config = read_config(run / "model")["config"]
        return {**scales, **{k: config[k] for k in ("in_channels", "num_outputs", "ndim") if k in config}}
    for name in ("best.ckpt", "last.ckpt"):
        path = run / "checkpoints" / name
        if path.is_file():
            spec = SafeCheckpointIO().load_checkpoint(path).get("hyper_parameters", {}).get("data_spec")
            if isinstance(spec, dict):
                return spec
    try:
        return PDEDataModule(**init).spec
    except TypeError as e:
        raise InputError(f"{run / 'config.yaml'}: data.init_args do not fit the PDE data module: "
                         f"{one_line(e)}") from None


@functools.lru_cache(maxsize=4)
def load_run(run: str) -> FieldRun:
    """The run's model, equation and held-out inputs, once per run folder (the model warmed up once)."""
    folder, init = Path(run) / "model", data_args(Path(run))
    pde, params = equation(Path(run), init)
    name = read_config(folder)["config"]["name"]
    task = FieldTask(model=name, init_from=str(folder), data_spec=data_spec(Path(run), init)).eval()
    if (folder / EXAMPLES).is_file():
        # only that tensor, the header and its size bounded, no link (zoo.trust.reader)
        examples = load_safetensors_tensor(folder / EXAMPLES, "inputs").float()  # (N, C, *grid)
    else:
        examples = torch.zeros(0, 1, *[int(init.get("resolution", 256))] * get_pde(pde).ndim)
    with torch.inference_mode():
        task(torch.zeros(1, *examples.shape[1:]))
    return FieldRun(task, pde, params, examples.shape[-1], examples)


def sample_count(run: str) -> int:
    """How many held-out inputs the run saved (read from the file's header, nothing loaded)."""
    path = Path(run) / "model" / EXAMPLES
    try:
        shape = safetensors_shapes(path).get("inputs")
    except InputError:  # no file, or not ours: the handlers say so when it matters
        return 0
    return int(shape[0]) if shape else 0


def field_run(run: str) -> FieldRun:
    """``load_run``, with a run that cannot be loaded (or solved) as a message in the page."""
    try:
        check_model_inside(run)
        return load_run(str(run))
    except EXPECTED as e:
        raise gr.Error(f"Cannot use the run {run}: {one_line(e)}") from None


def sample_input(fr: FieldRun, index) -> torch.Tensor:
    """Held-out test input ``index``, (1, C, *grid); a gr.Error for an index the run does not have."""
    n = len(fr.examples)
    if n == 0:
        raise gr.Error("This run saved no held-out samples (model/examples.safetensors): draw a random "
                       "input instead.")
    try:
        i = int(index)
    except (TypeError, ValueError):
        i = -1
    if i != index or not 0 <= i < n:
        raise gr.Error(f"Sample {index} does not exist: this run keeps {n} held-out samples, numbered 0 to "
                       f"{n - 1}.")
    return fr.examples[i:i + 1]


def random_input(fr: FieldRun, seed: int) -> torch.Tensor:
    """A random input of the run's kind at its grid, from the app's generator, (1, 1, *grid)."""
    if fr.examples.shape[1] != 1:
        raise gr.Error(f"This model takes {fr.examples.shape[1]} input channels; random inputs have one.")
    field = RANDOM[fr.pde][1](np.random.default_rng(seed), fr.resolution)  # (1, *grid)
    return torch.from_numpy(field[:, None]).float()


@dataclass
class Comparison:
    model: np.ndarray  # (C, *grid) the surrogate's prediction
    solver: np.ndarray  # (C, *grid) the classical solver's
    model_s: float
    solver_s: float
    rel_l2: float  # ||model - solver|| / ||solver||


def compare(fr: FieldRun, x: torch.Tensor) -> Comparison:
    """Both answers for the input ``x`` (1, C, *grid), each timed."""
    with torch.inference_mode():
        start = time.perf_counter()
        pred = fr.task(x).double().numpy()  # (1, C_out, *grid)
        model_s = time.perf_counter() - start
    start = time.perf_counter()
    solved = solve_at(fr.pde, x.double().numpy(), fr.params)  # (1, 1, *grid)
    solver_s = time.perf_counter() - start
    return Comparison(pred[0], solved[0], model_s, solver_s, float(relative_l2(pred, solved)[0]))


def picture(fr: FieldRun, x: torch.Tensor, c: Comparison) -> Image.Image:
    """1-D: input, solver and model curves on one plot. 2-D: input, solver, model and difference maps."""
    inp = x[0, 0].numpy()
    if inp.ndim == 1:
        fig, ax = plt.subplots(figsize=(8, 3.6))
        grid = np.arange(len(inp)) / len(inp)  # x_i = i/n (periodic)
        ax.plot(grid, inp, color="0.7", lw=1, label="input u(x, 0)")
        ax.plot(grid, c.solver[0], color="k", lw=1.5, label="solver")
        ax.plot(grid, c.model[0], "--", color="tab:red", lw=1.2, label="model")
        ax.set_xlabel("x")
        ax.legend(fontsize=8)
    else:
        fig, axes = plt.subplots(1, 4, figsize=(13, 3.2))
        lo, hi = c.solver[0].min(), c.solver[0].max()
        panels = ((inp, "input", {}), (c.solver[0], "solver", dict(vmin=lo, vmax=hi)),
                  (c.model[0], "model", dict(vmin=lo, vmax=hi)),
                  (c.model[0] - c.solver[0], "model - solver", dict(cmap="RdBu_r")))
        for ax, (img, name, kw) in zip(axes, panels):
            im = ax.imshow(img.T, origin="lower", **kw)
            ax.set_title(name, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle(f"{fr.pde}: relative L2 (model vs solver) {c.rel_l2:.2e}", fontsize=10)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return Image.open(buffer)


def report(fr: FieldRun, label: str, c: Comparison) -> str:
    """The timings and the error, as the page shows them."""
    speed = f", {c.solver_s / c.model_s:.1f}x the model's" if c.model_s > 0 else ""
    return (f"input: {label}\n"
            f"model ({fr.task.model.model_name}): {c.model_s * 1e3:.2f} ms\n"
            f"solver ({SOLVERS[fr.pde]}, {fr.resolution} points per axis): {c.solver_s * 1e3:.2f} ms"
            f"{speed}\n"
            f"relative L2 error, model vs solver: {c.rel_l2:.3e}")


def run_model(run: str, index, seed: int | None) -> tuple[Image.Image, str]:
    """The comparison on held-out sample ``index``, or on the random input of ``seed`` when one was drawn."""
    fr = field_run(run)
    if seed is None:
        x, label = sample_input(fr, index), f"held-out test sample {int(index)} of {len(fr.examples)}"
    else:
        x, label = random_input(fr, int(seed)), f"{RANDOM[fr.pde][0]} (seed {seed})"
    c = compare(fr, x)
    return picture(fr, x, c), report(fr, label, c)


def draw_random(run: str) -> tuple[int, Image.Image, str]:
    """A new random input (its seed kept for the run button), compared at once."""
    seed = int(np.random.default_rng().integers(2**31))
    return seed, *run_model(run, None, seed)


def describe(run: str) -> str:
    """The title line: the run folder and what it solves (or why the tab cannot solve it live)."""
    try:
        pde, params = equation(Path(run), data_args(Path(run)))
    except EXPECTED as e:
        return f"**Run** `{run}`: {one_line(e)}."
    settings = ", ".join(f"{k} = {v:g}" for k, v in params.items())
    return (f"**Run** `{run}`: {pde}{f' ({settings})' if settings else ''}, the surrogate against the "
            f"{SOLVERS[pde]} solver at the model's grid.")


def run_changed(run: str):
    """A new run: its title, its sample range, and no random input."""
    return describe(run), gr.Slider(minimum=0, maximum=max(sample_count(run) - 1, 0), value=0), None


def tab(runs: Sequence[Path]) -> None:
    """The PDE tab (called by zoo.runtime.serve inside an open gr.Tab), for the app's runs, newest first."""
    if not runs:
        gr.Markdown(no_run_message("science/pde", QUICK))
        return
    choices = [str(r) for r in runs]
    heading = gr.Markdown(describe(choices[0]))
    run = run_picker(runs, "pde-run-folder")
    seed = gr.State(None)  # the random input's seed once one is drawn; None: the chosen held-out sample
    with gr.Row():
        sample = gr.Slider(0, max(sample_count(choices[0]) - 1, 0), value=0, step=1,
                           label="held-out test sample", elem_id="pde-sample")
        random_button = gr.Button("Random input", elem_id="pde-random")
        run_button = gr.Button("Run model and solver", variant="primary", elem_id="pde-run")
    timings = gr.Textbox(label="timings and error", lines=4, interactive=False, elem_id="pde-timings")
    plot = gr.Image(label="model beside solver", type="pil", interactive=False, elem_id="pde-plot")
    run.change(run_changed, run, [heading, sample, seed])
    sample.change(lambda: None, None, seed)
    random_button.click(draw_random, run, [seed, plot, timings])
    run_button.click(run_model, [run, sample, seed], [plot, timings])
