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

from zoo.cache import cache_dir

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
        raise ValueError(f"unknown PDE {name!r}; choose one of {', '.join(PDES)}")
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
    p = {**get_pde(pde).params, **params}
    if pde == "burgers":
        return burgers_spectral(inputs[:, 0], p["t"], p["nu"])[:, None]
    if pde == "darcy":
        return np.stack([darcy_solve(a) for a in inputs[:, 0]])[:, None]
    return ns_vorticity(inputs[:, 0], p["t"], p["nu"])[:, None]


def dataset_path(pde: str, n: int, resolution: int, seed: int, params: dict) -> Path:
    tag = "_".join(f"{k}{v:g}" for k, v in sorted(params.items()))
    return cache_dir("pde", f"{pde}_{tag}_n{n}_r{resolution}_seed{seed}.npz".replace("__", "_"))


def generate(pde: str, n: int, resolution: int | None = None, seed: int = 0, out: str | Path | None = None,
             chunk: int = 50, **params) -> Path:
    """Generate (or find in the cache) ``n`` samples; returns the ``.npz`` path."""
    spec = get_pde(pde)
    unknown = set(params) - set(spec.params)
    if unknown:
        raise ValueError(f"{pde} has no parameter(s) {sorted(unknown)}; it takes {sorted(spec.params) or 'none'}")
    p = {**spec.params, **{k: float(v) for k, v in params.items()}}
    resolution = resolution or spec.resolution
    path = Path(out) if out else dataset_path(pde, n, resolution, seed, p)
    if path.is_file():
        return path
    rng = np.random.default_rng(seed)
    inputs, targets = [], []
    start = time.perf_counter()
    with Progress(transient=True) as progress:
        task = progress.add_task(f"generating {pde} ({n} samples, {resolution} points)", total=n)
        for i in range(0, n, chunk):
            x, y = GENERATORS[pde](rng, min(chunk, n - i), resolution, p)
            inputs.append(x.astype(np.float32))
            targets.append(y.astype(np.float32))
            progress.advance(task, len(x))
    seconds = time.perf_counter() - start
    meta = {"pde": pde, "params": p, "n": n, "resolution": resolution, "seed": seed, "ndim": spec.ndim,
            "periodic": spec.periodic, "generate_s_per_sample": seconds / n, "description": spec.description}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")  # written whole, then renamed: no half-written cache entries
    np.savez(tmp, input=np.concatenate(inputs), target=np.concatenate(targets), meta=json.dumps(meta))
    tmp.replace(path)
    print(f"wrote {path} ({n} samples of {pde} at {resolution} points, {seconds:.1f} s)")
    return path
