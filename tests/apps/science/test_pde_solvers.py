"""The PDE solvers against exact and manufactured solutions (the data is only as good as these)."""

import numpy as np
import pytest

from apps.science.pde.burgers import burgers_exact, burgers_residual, burgers_spectral
from apps.science.pde.darcy import darcy_coefficients, darcy_solve
from apps.science.pde.grf import neumann_grf_2d, periodic_grf_1d, periodic_grf_2d
from apps.science.pde.navier_stokes import ns_vorticity, taylor_green


@pytest.mark.parametrize("nu", [0.1, 0.02])
def test_exact_burgers_satisfies_the_pde(nu):
    u0 = periodic_grf_1d(np.random.default_rng(0), 3, 2048)
    residual = burgers_residual(u0, 0.5, nu, h=1e-4)
    scale = np.abs(burgers_exact(u0, 0.5, nu)).max()
    assert np.abs(residual).max() < 1e-4 * max(1.0, scale / nu)


def test_exact_burgers_keeps_the_mean_and_handles_a_moving_frame():
    # A constant moves unchanged; the mean is conserved for any initial condition.
    x = np.arange(256) / 256
    assert np.allclose(burgers_exact(np.full((1, 256), 0.7), 1.0, 0.1), 0.7)
    u0 = 0.5 + np.sin(2 * np.pi * x)[None]
    assert np.isclose(burgers_exact(u0, 1.0, 0.1).mean(), 0.5)


@pytest.mark.parametrize("nu", [0.1, 0.02])
def test_spectral_stepper_matches_the_exact_solution(nu):
    u0 = periodic_grf_1d(np.random.default_rng(1), 2, 4096)
    exact = burgers_exact(u0, 0.5, nu)[:, ::8]  # reference on 512 points
    stepped = burgers_spectral(u0[:, ::8], 0.5, nu)
    err = np.linalg.norm(stepped - exact) / np.linalg.norm(exact)
    assert err < 1e-4


def test_grf_variance_follows_the_covariance():
    # Var u(x) = the trace of the covariance per unit length: lambda_0 + 2 sum_k lambda_k (a cosine and a sine).
    u = periodic_grf_1d(np.random.default_rng(2), 4000, 128)
    k = np.arange(1, 64)
    expected = 625 * (25.0**-2 + 2 * np.sum(((2 * np.pi * k) ** 2 + 25) ** -2.0))
    assert abs(u.var() / expected - 1) < 0.05
    assert periodic_grf_2d(np.random.default_rng(0), 2, 32).shape == (2, 32, 32)
    assert neumann_grf_2d(np.random.default_rng(0), 2, 17).shape == (2, 17, 17)


def test_darcy_converges_at_second_order_on_a_manufactured_solution():
    errors = []
    for n in (17, 33, 65):
        x = np.linspace(0, 1, n)
        X, Y = np.meshgrid(x, x, indexing="ij")
        a = 1 + X**2 * Y + 0.5 * np.sin(3 * Y)
        u = np.sin(np.pi * X) * np.sin(np.pi * Y)
        a_x, a_y = 2 * X * Y, X**2 + 1.5 * np.cos(3 * Y)
        u_x, u_y = np.pi * np.cos(np.pi * X) * np.sin(np.pi * Y), np.pi * np.sin(np.pi * X) * np.cos(np.pi * Y)
        f = -(a_x * u_x + a_y * u_y - 2 * np.pi**2 * a * u)  # -div(a grad u)
        errors.append(np.abs(darcy_solve(a, f) - u).max())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert (orders > 1.9).all(), orders


def test_darcy_benchmark_fields():
    a = darcy_coefficients(np.random.default_rng(0), 2, 33)
    assert set(np.unique(a)) == {3.0, 12.0}
    u = darcy_solve(a[0])
    assert (u[0] == 0).all() and (u[:, -1] == 0).all() and u[1:-1, 1:-1].min() > 0  # f = 1 > 0: u > 0 inside
    with pytest.raises(ValueError, match="square coefficient grid"):
        darcy_solve(np.ones((4, 5)))


def test_navier_stokes_decays_taylor_green_exactly_and_converges_in_time():
    w = ns_vorticity(taylor_green(32, 0.0, 0.01), 1.0, 0.01, force=False)
    assert np.abs(w - taylor_green(32, 1.0, 0.01)).max() < 1e-10
    w0 = periodic_grf_2d(np.random.default_rng(0), 2, 32)
    coarse, fine, finest = (ns_vorticity(w0, 0.5, dt=dt) for dt in (0.02, 0.01, 0.005))
    ratio = np.abs(coarse - finest).max() / np.abs(fine - finest).max()
    assert ratio > 8  # RK4: halving dt divides the error by about 16 (less the finest run's own error)
