"""The PDE tab of `zoo serve` without a browser: its handlers on a tiny real Burgers run (the quick preset,
cut short), 2-D equations on a small model, every refused input with its message, and the tab in a page."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

gr = pytest.importorskip("gradio", reason="gradio is not installed (pip install 'zoo-suite[serve]')")

from apps.science.pde import serve  # noqa: E402
from apps.science.pde.burgers import burgers_exact  # noqa: E402
from apps.science.pde.generate import check_params  # noqa: E402
from apps.science.pde.task import FieldTask  # noqa: E402
from tests.apps.science.pde.serve_runs import tiny_run  # noqa: E402
from tests.serve_tabs import built_tab  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return str(tiny_run(tmp_path_factory.mktemp("runs")))


def with_config(run: str, folder: Path, **init_args) -> str:
    """A copy of ``run`` whose config.yaml has other data settings."""
    shutil.copytree(run, folder)
    config = yaml.safe_load((folder / "config.yaml").read_text())
    config["data"]["init_args"].update(init_args)
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return str(folder)


def test_the_run_is_read_from_its_folder(run):
    fr = serve.load_run(run)
    assert serve.load_run(run) is fr
    assert fr.pde == "burgers" and fr.params == {"nu": 0.1, "t": 1.0} and fr.resolution == 256
    assert fr.examples.shape == (8, 1, 256) and serve.sample_count(run) == 8
    assert "burgers (nu = 0.1, t = 1)" in serve.describe(run)


def test_the_prediction_is_the_trained_tasks_with_its_normalisation(run):
    from zoo.checkpoint import load_task

    fr = serve.load_run(run)
    x = serve.sample_input(fr, 5)
    assert torch.equal(x, fr.examples[5:6])
    reference = load_task(Path(run) / "checkpoints" / "best.ckpt", FieldTask)  # what model/ was saved from
    with torch.inference_mode():
        assert torch.allclose(fr.task(x), reference(x), atol=1e-5)


def test_the_solver_is_burgers_with_the_runs_viscosity_and_time(run):
    fr = serve.load_run(run)
    x = serve.sample_input(fr, 0)
    c = serve.compare(fr, x)
    assert c.model.shape == c.solver.shape == (1, 256) and np.isfinite(c.model).all()
    exact = burgers_exact(x[:, 0].double().numpy(), t=1.0, nu=0.1)[0]
    assert np.linalg.norm(c.solver[0] - exact) / np.linalg.norm(exact) < 1e-3  # the floor solver, near exact
    assert c.rel_l2 == pytest.approx(np.linalg.norm(c.model - c.solver) / np.linalg.norm(c.solver), rel=1e-6)
    assert c.model_s > 0 and c.solver_s > 0


def test_run_on_a_sample_shows_the_picture_timings_and_error(run):
    picture, text = serve.run_model(run, 3, None)
    assert min(picture.size) > 100
    assert text.startswith("input: held-out test sample 3 of 8")
    assert "model (fno_base):" in text and "solver (pseudo-spectral" in text and "ms" in text
    assert "relative L2 error, model vs solver:" in text


def test_a_random_initial_condition_at_the_runs_grid(run):
    fr = serve.load_run(run)
    x = serve.random_input(fr, 7)
    assert x.shape == (1, 1, 256) and torch.equal(x, serve.random_input(fr, 7))
    assert not torch.equal(x, serve.random_input(fr, 8))
    seed, picture, text = serve.draw_random(run)
    assert isinstance(seed, int) and f"random initial condition (seed {seed})" in text
    again = serve.run_model(run, 0, seed)[1]  # the run button on the drawn input: the same input, same error
    assert again.splitlines()[0] == text.splitlines()[0] and again.splitlines()[-1] == text.splitlines()[-1]


@pytest.mark.parametrize("index", [8, -1, 2.5, None, "x"])
def test_a_sample_out_of_range_is_a_message(run, index):
    with pytest.raises(gr.Error, match="does not exist: this run keeps 8 held-out samples, numbered 0 to 7"):
        serve.run_model(run, index, None)


def test_an_equation_the_tab_cannot_solve_is_a_message(run, tmp_path):
    heat = with_config(run, tmp_path / "pde" / "heat", pde="heat")
    message = "trained on the equation 'heat'; this tab solves live only burgers, darcy, navier_stokes"
    with pytest.raises(gr.Error, match=message):
        serve.run_model(heat, 0, None)
    with pytest.raises(gr.Error, match=message):
        serve.draw_random(heat)
    assert message in serve.describe(heat)
    with gr.Blocks():
        with gr.Tab("x"):
            serve.tab([Path(heat)])  # the tab still builds, and says why


def test_a_run_without_its_config_is_a_message(run, tmp_path):
    bare = tmp_path / "pde" / "bare"
    shutil.copytree(run, bare)
    (bare / "config.yaml").unlink()
    with pytest.raises(gr.Error, match="config.yaml is missing"):
        serve.run_model(str(bare), 0, None)


@pytest.mark.parametrize("pde", ["darcy", "navier_stokes"])
def test_two_dimensional_equations_are_solved_live(pde):
    """A small untrained 2-D FNO stands in for a run (a real one takes minutes): the same comparison path."""
    spec = {"ndim": 2, "in_channels": 1, "num_outputs": 1, "periodic": pde != "darcy"}
    task = FieldTask(model="fno_small", model_kwargs={"width": 8, "modes": 4, "depth": 1}, data_spec=spec)
    task.eval()
    fr = serve.FieldRun(task, pde, check_params(pde, {}), 16, torch.zeros(0, 1, 16, 16))
    x = serve.random_input(fr, 0)
    assert x.shape == (1, 1, 16, 16)
    c = serve.compare(fr, x)
    assert c.model.shape == c.solver.shape == (1, 16, 16) and np.isfinite(c.solver).all()
    assert min(serve.picture(fr, x, c).size) > 100
    with pytest.raises(gr.Error, match="saved no held-out samples"):
        serve.sample_input(fr, 0)


def test_the_tab_builds_with_runs_and_without(run):
    page, ids = built_tab(serve.tab, run)
    assert {"pde-sample", "pde-random", "pde-run", "pde-plot", "pde-timings"} <= ids
    slider = next(b for b in page.blocks.values() if getattr(b, "elem_id", None) == "pde-sample")
    assert (slider.minimum, slider.maximum) == (0, 7)
    texts = [b.value for b in page.blocks.values() if isinstance(b, gr.Markdown)]
    assert any(run in t and "burgers" in t for t in texts)
    assert any("No finished science/pde run yet" in t and "burgers_quick.yaml" in t for t in texts)
