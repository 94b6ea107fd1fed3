"""Issue 15, PDE side: numbers checked in float32 (the dtype the models use), constant fields refused, damaged
.npz files reported by name, and a generator that never writes nonsense into the cache."""

import io
import json
import zipfile

import numpy as np
import pytest

from apps.science.pde import generate as gen
from apps.science.pde.app import APP
from apps.science.pde.data import PDEDataModule, load_arrays
from zoo.errors import InputError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "cache"))


def _fields(n=6, points=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, points)), rng.standard_normal((n, points))


def _write(path, **arrays):
    np.savez(path, **arrays)
    return path


def _cached_files(tmp_path):
    return sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())


@pytest.mark.parametrize("big,dtype", [(1e300, np.float64), (-1e39, np.float64), (2**62, np.int64)])
def test_values_that_overflow_float32_are_named(tmp_path, big, dtype):
    # Finite in the file (float64 or int64), inf or far beyond a trainable range in float32.
    x, y = _fields()
    x = (x * 10).astype(dtype)
    x[3, 7] = big
    with pytest.raises(InputError, match=r"big.npz: 'input' has 1 value\(s\) that are NaN, infinite or beyond "
                                         r"\+-1e\+15 in float32 .* the first at index \(3, 0, 7\)"):
        load_arrays(_write(tmp_path / "big.npz", input=x, target=y))


def test_loaded_arrays_are_float32_and_finite(tmp_path):
    x, y = _fields()
    x[0, 0] = 1e14  # large but fine
    got_x, got_y, _ = load_arrays(_write(tmp_path / "ok.npz", input=x, target=y))
    assert got_x.dtype == got_y.dtype == np.float32 and np.isfinite(got_x).all()


@pytest.mark.parametrize("which", ["input", "target"])
def test_a_constant_field_is_refused(tmp_path, which):
    x, y = _fields()
    arrays = {"input": x, "target": y, which: np.full_like(x, 0.5)}
    with pytest.raises(InputError, match=rf"const.npz: every value of '{which}' is 0.5; a constant {which}"):
        load_arrays(_write(tmp_path / "const.npz", **arrays))


def test_a_constant_training_split_is_refused_before_training(tmp_path):
    x, y = _fields(n=6)
    y[:2] = 1.0  # constant over the two training samples only
    dm = PDEDataModule(path=str(_write(tmp_path / "split.npz", input=x, target=y)), n_train=2, n_val=2, n_test=2,
                       resolution=32)
    with pytest.raises(InputError, match=r"split.npz \(the first 2 samples, at resolution 32\): every value of "
                                         r"'target' is 1"):
        dm.setup()


def test_damaged_or_odd_files_are_named(tmp_path):
    x, y = _fields()
    np.save(tmp_path / "plain.npy", x)  # a .npy, not an .npz
    with pytest.raises(InputError, match="plain.npy: not a readable .npz file"):
        load_arrays(tmp_path / "plain.npy")
    with pytest.raises(InputError, match="meta.npz: 'meta' is not JSON text of an object"):
        load_arrays(_write(tmp_path / "meta.npz", input=x, target=y, meta=json.dumps([1, 2])))
    with pytest.raises(InputError, match=r"ndim.npz: grid dimensions 'two' \(from 'meta'\)"):
        load_arrays(_write(tmp_path / "ndim.npz", input=x, target=y, meta=json.dumps({"ndim": "two"})))
    with pytest.raises(InputError, match=r"empty.npz: 'input' has shape \(0, 1, 32\)"):
        load_arrays(_write(tmp_path / "empty.npz", input=x[:0], target=y[:0]))
    with pytest.raises(InputError, match="obj.npz: 'input' holds Python objects"):
        load_arrays(_write(tmp_path / "obj.npz", input=np.array([{"a": 1}] * 6, dtype=object), target=y))


def test_a_forged_shape_is_refused_without_allocating_it(tmp_path):
    """A header may claim any shape; believing it would allocate terabytes (MemoryError at best)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (10**13,)})
    path = tmp_path / "forged.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("input.npy", buf.getvalue() + b"\0" * 64)
        z.writestr("target.npy", buf.getvalue() + b"\0" * 64)
    with pytest.raises(InputError, match=r"forged.npz: 'input' claims shape \(10000000000000,\) .* the file is "
                                         r"damaged"):
        load_arrays(path)


@pytest.mark.parametrize("params", [{"nu": 0}, {"nu": -1}, {"t": -1}, {"t": 0}, {"nu": float("nan")},
                                    {"t": float("inf")}, {"nu": "abc"}])
def test_generate_refuses_nonsense_physics_before_solving(tmp_path, params):
    with pytest.raises(InputError, match="expected a positive finite number|is not a number"):
        gen.generate("burgers", 4, 256, **params)
    assert _cached_files(tmp_path) == []


@pytest.mark.parametrize("kwargs,field", [({"n": 0}, "n"), ({"n": 4, "resolution": 0}, "resolution"),
                                          ({"n": 4, "seed": -1}, "seed"), ({"n": 4, "chunk": 0}, "chunk")])
def test_generate_refuses_nonsense_sizes(tmp_path, kwargs, field):
    with pytest.raises(InputError, match=rf"burgers: {field} = .*; expected a whole number of at least"):
        gen.generate("burgers", **kwargs)
    with pytest.raises(InputError, match="darcy: resolution = 2"):
        gen.generate("darcy", 2, 2)
    assert _cached_files(tmp_path) == []


@pytest.mark.parametrize("argv", [["--nu", "0"], ["--nu", "-1"], ["--t", "-1"], ["--nu", "nan"],
                                  ["--resolution", "0"]])
def test_generate_cli_exits_2_and_writes_nothing(tmp_path, capsys, argv):
    with pytest.raises(SystemExit) as e:
        APP.main(["generate", "--pde", "burgers", "--n", "2", *argv])
    assert e.value.code == 2 and "expected" in capsys.readouterr().err
    assert _cached_files(tmp_path) == []


def test_a_diverging_solve_writes_nothing(tmp_path):
    # nu = 1e-3 is positive, but Cole-Hopf at 256 points under-resolves it: the solver returns NaN.
    with pytest.raises(InputError, match="the solver diverged, nothing was written: .*'target'"):
        gen.generate("burgers", 4, 256, nu=1e-3)
    out = tmp_path / "out" / "d.npz"
    with pytest.raises(InputError, match="the solver diverged"):
        gen.generate("burgers", 4, 256, out=out, nu=1e-3)
    assert _cached_files(tmp_path) == [] and not list(out.parent.glob("*"))


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    def broken_savez(f, **arrays):
        f.write(b"PK half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(gen.np, "savez", broken_savez)
    out = tmp_path / "w" / "d.npz"
    with pytest.raises(OSError, match="disk full"):
        gen.generate("burgers", 2, 256, out=out)
    assert list(out.parent.iterdir()) == []
