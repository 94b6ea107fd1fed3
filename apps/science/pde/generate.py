"""Datasets from our own solvers: seeded, cached under $ZOO_CACHE/pde, with progress.

Each PDE names its reference solver (what the data comes from), its floor solver (the classical method run at the
model's input resolution, whose error and cost the surrogate is compared with) and its grid convention.
Stored file: ``.npz`` with ``input`` and ``target`` float32 (N, C, *grid) and ``meta`` (JSON text).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.progress import Progress

from zoo.arrays import float32_array
from zoo.cache import cache_dir
from zoo.errors import InputError
from zoo.trust.bounds import PDE_INTS, check_field, whole
from zoo.trust.runfolder import open_write

from .burgers import burgers_exact, burgers_spectral
from .darcy import darcy_coefficients, darcy_solve
from .grf import periodic_grf_1d, periodic_grf_2d
from .navier_stokes import ns_vorticity


@dataclass(frozen=True)
class PDE:
    """One operator-learning problem."""

    name: str
    ndim: int
    periodic: bool  # grid x_i = i/n on [0, 1); otherwise both ends included, x_i = i/(n-1)
    resolution: int  # default stored resolution (the finest kept)
    params: dict = field(default_factory=dict)  # physical parameters and their defaults
    description: str = ""


PDES = {
    "burgers": PDE("burgers", 1, True, 1024, {"nu": 0.1, "t": 1.0},
                   "1-D viscous Burgers, u(., 0) -> u(., t): exact (Cole-Hopf) at 8192 points, subsampled"),
    "darcy": PDE("darcy", 2, False, 127, {},
                 "2-D Darcy flow, a(x) in {12, 3} -> u: finite differences at the stored resolution"),
    "navier_stokes": PDE("navier_stokes", 2, True, 128, {"nu": 1e-3, "t": 1.0},
                         "2-D vorticity on the torus, w(., 0) -> w(., t): pseudo-spectral RK4"),
}
BURGERS_FINE = 8192


def get_pde(name: str) -> PDE:
    if name not in PDES:
        raise InputError(f"unknown PDE {name!r}; choose one of {', '.join(PDES)}")
    return PDES[name]


def subsample_step(stored: int, resolution: int, periodic: bool) -> int:
    """Stride that takes a stored grid to ``resolution`` points, or a clear error when none does."""
    num, den = (stored, resolution) if periodic else (stored - 1, resolution - 1)
    if resolution < 2 or resolution > stored or num % den:
        rule = "a divisor of" if periodic else "one more than a divisor of (stored - 1) ="
        raise ValueError(f"resolution {resolution} cannot be taken from stored resolution {stored}: it must be "
                         f"{rule} {num}")
    return num // den


def subsample(a: np.ndarray, step: int, ndim: int) -> np.ndarray:
    return a[(..., *[slice(None, None, step)] * ndim)]


# -- per-PDE sample generators: (rng, n, resolution, params) -> (input, target), (n, 1, *grid) -------------------
def _burgers(rng, n, resolution, p):
    step = subsample_step(BURGERS_FINE, resolution, True)
    u0 = periodic_grf_1d(rng, n, BURGERS_FINE)
    u1 = burgers_exact(u0, p["t"], p["nu"])
    return u0[:, None, ::step], u1[:, None, ::step]


def _darcy_one(a):
    return darcy_solve(a)


def _darcy(rng, n, resolution, p):
    a = darcy_coefficients(rng, n, resolution)
    workers = min(len(os.sched_getaffinity(0)), 8)
    if workers > 1 and n > 4:
        with ProcessPoolExecutor(workers) as pool:
            u = np.stack(list(pool.map(_darcy_one, a, chunksize=4)))
    else:
        u = np.stack([darcy_solve(x) for x in a])
    return a[:, None], u[:, None]


def _navier_stokes(rng, n, resolution, p):
    w0 = periodic_grf_2d(rng, n, resolution)
    return w0[:, None], ns_vorticity(w0, p["t"], p["nu"])[:, None]


GENERATORS: dict[str, Callable] = {"burgers": _burgers, "darcy": _darcy, "navier_stokes": _navier_stokes}


def solve_at(pde: str, inputs: np.ndarray, params: dict) -> np.ndarray:
    """The floor solver: the classical method on ``inputs`` (N, 1, *grid) at their own resolution."""
    p = check_params(pde, params)
    if pde == "burgers":
        return burgers_spectral(inputs[:, 0], p["t"], p["nu"])[:, None]
    if pde == "darcy":
        return np.stack([darcy_solve(a) for a in inputs[:, 0]])[:, None]
    return ns_vorticity(inputs[:, 0], p["t"], p["nu"])[:, None]


def dataset_path(pde: str, n: int, resolution: int, seed: int, params: dict) -> Path:
    tag = "_".join(f"{k}{v:g}" for k, v in sorted(params.items()))
    return cache_dir("pde", f"{pde}_{tag}_n{n}_r{resolution}_seed{seed}.npz".replace("__", "_"))


# Smallest stored grids the solvers make sense on: Darcy needs interior points, the spectral solvers some modes.
MIN_RESOLUTION = {"burgers": 2, "darcy": 3, "navier_stokes": 8}


def check_params(pde: str, params: dict) -> dict:
    """The PDE's parameters with defaults filled in, as floats; refuses unknown names and nonsense values
    (viscosity and time must be positive and finite: nu <= 0 makes the heat kernel blow up, t <= 0 is no
    solve at all, and either gave all-NaN data)."""
    spec = get_pde(pde)
    unknown = set(params) - set(spec.params)
    if unknown:
        raise InputError(f"{pde} has no parameter(s) {sorted(unknown)}; it takes {sorted(spec.params) or 'none'}")
    out = dict(spec.params)
    for name, value in params.items():
        try:
            out[name] = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{pde}: parameter {name}={value!r} is not a number") from None
    for name, value in out.items():
        if not (np.isfinite(value) and value > 0):
            what = {"nu": "viscosity", "t": "final time"}.get(name, name)
            raise InputError(f"{pde}: {name} ({what}) = {value:g}; expected a positive finite number")
    return out


def _check_request(pde: str, n: int, resolution: int, seed: int, chunk: int) -> None:
    for name, value, low in (("n", n, 1), ("seed", seed, 0), ("chunk", chunk, 1),
                             ("resolution", resolution, MIN_RESOLUTION[pde])):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(f"{pde}: {name} = {value!r}; expected a whole number of at least {low}")
    # The most: a flag's or a run config's --n 10**9 or resolution 60000 would solve for hours or fill the memory.
    whole(n, "n", *PDE_INTS["n"], pde)
    check_field(n, resolution, PDES[pde].ndim, pde)


def generate(pde: str, n: int, resolution: int | None = None, seed: int = 0, out: str | Path | None = None,
             chunk: int = 50, **params) -> Path:
    """Generate (or find in the cache) ``n`` samples; returns the ``.npz`` path. Every parameter is checked before
    anything is solved, and nothing non-finite is ever written (the file appears whole, or not at all)."""
    spec = get_pde(pde)
    p = check_params(pde, params)
    resolution = spec.resolution if resolution is None else resolution  # 0 is an error, not the default
    _check_request(pde, n, resolution, seed, chunk)
    path = Path(out) if out else dataset_path(pde, n, resolution, seed, p)
    if path.is_file():
        return path
    rng = np.random.default_rng(seed)
    inputs, targets = [], []
    start = time.perf_counter()
    with Progress(transient=True) as progress:
        task = progress.add_task(f"generating {pde} ({n} samples, {resolution} points)", total=n)
        for i in range(0, n, chunk):
            with np.errstate(all="ignore"):  # a diverging solve is reported below, once, by _solved
                x, y = GENERATORS[pde](rng, min(chunk, n - i), resolution, p)
            where = f"{pde} with {p} at {resolution} points, samples {i}..{i + len(x) - 1}"
            inputs.append(_solved(x, where, "input"))
            targets.append(_solved(y, where, "target"))
            progress.advance(task, len(x))
    seconds = time.perf_counter() - start
    meta = {"pde": pde, "params": p, "n": n, "resolution": resolution, "seed": seed, "ndim": spec.ndim,
            "periodic": spec.periodic, "generate_s_per_sample": seconds / n, "description": spec.description}
    _write_atomically(path, input=np.concatenate(inputs), target=np.concatenate(targets), meta=json.dumps(meta))
    print(f"wrote {path} ({n} samples of {pde} at {resolution} points, {seconds:.1f} s)")
    return path


def _solved(a: np.ndarray, where: str, name: str) -> np.ndarray:
    """A chunk as float32, refused (before anything is written) when the solver produced NaN, inf or overflow."""
    try:
        return float32_array(a, where, name)
    except InputError as e:
        raise InputError(f"the solver diverged, nothing was written: {e}. Try a larger nu, a smaller t or a finer "
                         "resolution") from None


def _write_atomically(path: Path, **arrays) -> None:
    """Write to a private temporary file in the same folder, then rename: readers (and concurrent generators)
    see the whole file or none, and a failure leaves no partial cache entry."""
    with open_write(path) as f:  # zoo.trust.runfolder: a linked --out (or a link on the way in a run) refused
        np.savez(f, **arrays)
