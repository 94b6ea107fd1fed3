"""2-D Darcy flow -div(a grad u) = f on the unit square, u = 0 on the boundary, by finite differences.

The five-point scheme uses the harmonic mean of a across each cell face (the flux-continuous choice for a
piecewise-constant a); the sparse system is solved by SuperLU (scipy). Second-order accurate for smooth a, which
a test checks on a manufactured solution.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from .grf import neumann_grf_2d


def darcy_solve(a: np.ndarray, f: float | np.ndarray = 1.0) -> np.ndarray:
    """u on the (n, n) grid of [0, 1]^2 (boundary points included, where u = 0) for coefficient a (n, n) > 0."""
    a = np.asarray(a, dtype=np.float64)
    n = a.shape[0]
    if a.shape != (n, n) or n < 3:
        raise ValueError(f"darcy_solve needs a square coefficient grid of at least 3x3; got shape {a.shape}")
    h = 1.0 / (n - 1)
    m = n - 2  # interior points per side
    harmonic = lambda p, q: 2 * p * q / (p + q)  # noqa: E731
    ax = harmonic(a[1:, :], a[:-1, :])  # faces between rows i and i+1, (n-1, n)
    ay = harmonic(a[:, 1:], a[:, :-1])  # faces between columns j and j+1, (n, n-1)
    # Interior point (i, j), i, j in 1..n-2, flattened as (i-1) * m + (j-1).
    north, south = ax[:-1, 1:-1], ax[1:, 1:-1]  # faces (i-1/2, j) and (i+1/2, j), (m, m)
    west, east = ay[1:-1, :-1], ay[1:-1, 1:]  # faces (i, j-1/2) and (i, j+1/2), (m, m)
    idx = np.arange(m * m).reshape(m, m)
    rows = [idx.ravel()]
    cols = [idx.ravel()]
    vals = [(north + south + west + east).ravel()]
    for coef, di, dj in ((north, -1, 0), (south, 1, 0), (west, 0, -1), (east, 0, 1)):
        i0, i1 = max(0, -di), m - max(0, di)
        j0, j1 = max(0, -dj), m - max(0, dj)
        rows.append(idx[i0:i1, j0:j1].ravel())
        cols.append(idx[i0 + di:i1 + di, j0 + dj:j1 + dj].ravel())
        vals.append(-coef[i0:i1, j0:j1].ravel())  # neighbours on the boundary (u = 0) simply drop out
    matrix = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m * m,) * 2)
    rhs = np.broadcast_to(np.asarray(f, dtype=np.float64), (n, n))[1:-1, 1:-1].ravel() * h * h
    u = np.zeros((n, n))
    u[1:-1, 1:-1] = spsolve(matrix, rhs).reshape(m, m)
    return u


def darcy_coefficients(rng: np.random.Generator, n_samples: int, n: int, high: float = 12.0,
                       low: float = 3.0) -> np.ndarray:
    """The FNO benchmark's a(x): 12 where a Gaussian random field N(0, (-Laplacian + 9 I)^-2) is >= 0, else 3."""
    return np.where(neumann_grf_2d(rng, n_samples, n) >= 0, high, low)
