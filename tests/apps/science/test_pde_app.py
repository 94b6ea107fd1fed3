"""The PDE app end to end on tiny budgets: data checks, a model trained at one resolution evaluated at another,
the CLI, and the generator's cache."""

import numpy as np
import pytest
import torch

import zoo
from apps.science.pde.app import APP
from apps.science.pde.data import PDEDataModule, load_arrays, relative_l2
from apps.science.pde.generate import generate, subsample_step
from zoo.runtime.record import RunRecord


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "cache"))


def test_generate_is_cached_and_seeded(tmp_path):
    a = generate("burgers", 6, 256, seed=3)
    b = generate("burgers", 6, 256, seed=3)
    assert a == b and a.is_file()
    x, y, meta = load_arrays(a)
    assert x.shape == y.shape == (6, 1, 256) and meta["params"] == {"nu": 0.1, "t": 1.0}
    other = generate("burgers", 6, 256, seed=3, out=tmp_path / "again.npz")
    assert np.array_equal(load_arrays(other)[0], x)
    with pytest.raises(ValueError, match="no parameter"):
        generate("darcy", 2, 17, nu=0.1)


@pytest.mark.parametrize("stored,res,periodic,ok", [(1024, 256, True, True), (1024, 300, True, False),
                                                    (127, 64, False, True), (127, 60, False, False)])
def test_subsample_step(stored, res, periodic, ok):
    if ok:
        assert subsample_step(stored, res, periodic) in (2, 4)
    else:
        with pytest.raises(ValueError, match="cannot be taken from stored resolution"):
            subsample_step(stored, res, periodic)


def _write(path, x, y):
    np.savez(path, input=x, target=y)
    return path


def test_bad_arrays_are_named(tmp_path):
    good = np.zeros((4, 1, 32), np.float32)
    bad = good.copy()
    bad[2, 0, 5] = np.nan
    with pytest.raises(ValueError, match=r"nan.npz: 'target' has 1 value\(s\) that are NaN, infinite or beyond "
                       r"\+-1e\+15 in float32 \(the dtype the models use\), the first at index \(2, 0, 5\)"):
        load_arrays(_write(tmp_path / "nan.npz", good, bad))
    with pytest.raises(ValueError, match=r"shape.npz: 'input' \(4, 1, 32\) and 'target' \(4, 1, 16\)"):
        load_arrays(_write(tmp_path / "shape.npz", good, np.zeros((4, 1, 16), np.float32)))
    with pytest.raises(ValueError, match="missing array"):
        np.savez(tmp_path / "keys.npz", x=good)
        load_arrays(tmp_path / "keys.npz")
    with pytest.raises(FileNotFoundError, match="zoo science pde generate"):
        load_arrays(tmp_path / "absent.npz")
    (tmp_path / "junk.npz").write_text("not numpy")
    with pytest.raises(ValueError, match="junk.npz: not a readable .npz"):
        load_arrays(tmp_path / "junk.npz")
    # A resolution the stored grid cannot give names the file.
    path = _write(tmp_path / "ok.npz", np.random.rand(6, 64).astype(np.float32), np.random.rand(6, 64).astype(np.float32))
    dm = PDEDataModule(path=str(path), n_train=2, n_val=2, n_test=2, resolution=32, eval_resolutions=[48])
    with pytest.raises(ValueError, match="ok.npz: eval_resolutions: resolution 48"):
        dm.setup()


@pytest.mark.parametrize("model", zoo.list_models(kind="field"))
def test_every_field_family_trains_and_runs_at_another_resolution(model):
    dm = PDEDataModule(n_train=16, n_val=4, n_test=4, resolution=64, eval_resolutions=[128], stored_resolution=256,
                       batch_size=8)
    from apps.science.pde.task import FieldTask

    task = FieldTask(model=model, model_kwargs={"depth": 2, "width": 16} if "tower" not in model else {"depth": 1},
                     data_spec=dm.spec, lr=3e-3)
    x, y = dm.train_x, dm.train_y
    opt = torch.optim.Adam(task.parameters(), 3e-3)
    first = None
    for _ in range(15):
        loss = relative_l2(task(x), y).mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < first
    hi_x, hi_y = dm.test_at(128)
    out = task.eval()(hi_x)
    assert out.shape == hi_y.shape and torch.isfinite(out).all()


def test_fit_and_test_through_the_cli(tmp_path):
    args = ["fit", "--model.model", "fno_small", "--model.model_kwargs", '{"width": 16, "modes": 8}',
            "--data.class_path", "apps.science.pde.data.PDEDataModule", "--data.init_args.n_train", "40",
            "--data.init_args.n_val", "10", "--data.init_args.n_test", "10", "--data.init_args.resolution", "64",
            "--data.init_args.stored_resolution", "256", "--data.init_args.eval_resolutions", "[128, 256]",
            "--trainer.max_epochs", "3", "--trainer.enable_progress_bar", "false", "--name", "t",
            "--runs_dir", str(tmp_path)]
    APP.main(args)
    run = tmp_path / "pde" / "t"
    m = RunRecord.read(run).to_dict()
    for key in ("test_rel_l2", "test_rel_l2_worst", "test_rel_l2_at_64", "test_rel_l2_at_256", "model_s_per_sample"):
        assert np.isfinite(m["test"][key]), key
    assert m["baseline"]["value"] > 0 and m["baseline"]["floor_rel_l2"] < 1e-3  # the spectral solver at 64 points
    assert (run / "plots" / "predictions.png").is_file() and (run / "plots" / "error_vs_resolution.png").is_file()
    again = zoo.from_pretrained(run / "model")
    assert again.config["name"] == "fno_small"


def test_generate_cli(tmp_path, capsys):
    assert APP.main(["generate", "--pde", "darcy", "--n", "3", "--resolution", "17", "--out",
                     str(tmp_path / "d.npz")]) == 0
    x, y, meta = load_arrays(tmp_path / "d.npz")
    assert x.shape == (3, 1, 17, 17) and meta["pde"] == "darcy"
    with pytest.raises(SystemExit):
        APP.main(["generate", "--pde", "burgers", "--n", "2", "--resolution", "300"])
    assert "cannot be taken from stored resolution" in capsys.readouterr().err


def test_science_apps_are_registered_with_presets_for_every_demo_step(capsys):
    from apps.science.genomics.app import APP as GENOMICS
    from zoo.runtime import cli
    from zoo.runtime.apps import discover_apps

    apps = discover_apps()
    assert apps["science/pde"] is APP and apps["science/genomics"] is GENOMICS
    for app, step, stem in ((APP, "pde", "burgers"), (GENOMICS, "genomics", "synthetic")):
        assert [s.name for s in app.demo_steps] == [step]
        for preset in ("demo", "quick", "gpu"):
            assert app.demo_steps[0].config_for(preset).name == f"{stem}_{preset}.yaml"
            assert app.demo_steps[0].config_for(preset).is_file()
    assert cli.main(["science", "nonsense"]) == 2  # `zoo science` lists its apps; an unknown one is an error
    assert "unknown command 'nonsense'" in capsys.readouterr().err


@pytest.mark.parametrize("app", ["pde", "genomics"])
def test_every_preset_names_real_models_and_data_arguments(app):
    import inspect
    from pathlib import Path

    import yaml

    import apps.science.genomics.data as gdata
    import apps.science.pde.data as pdata

    module = {"pde": pdata.PDEDataModule, "genomics": gdata.GenomicsDataModule}[app]
    accepted = set(inspect.signature(module.__init__).parameters)
    folder = Path(__file__).resolve().parents[3] / "apps" / "science" / app / "configs"
    configs = sorted(c for c in folder.glob("*.yaml") if c.name != "bench.yaml")  # bench.yaml: a matrix, no preset
    assert configs
    for config in configs:
        cfg = yaml.safe_load(config.read_text())
        zoo.model_info(cfg["model"]["model"])  # raises for an unknown model
        assert cfg["data"]["class_path"].endswith(module.__name__), config
        assert set(cfg["data"]["init_args"]) <= accepted, (config, set(cfg["data"]["init_args"]) - accepted)
