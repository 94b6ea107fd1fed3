"""Integrating-factor RK4 in Fourier space, shared by the Burgers and Navier-Stokes steppers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def if_rk4(u_hat: np.ndarray, rhs: Callable[[np.ndarray], np.ndarray], decay: np.ndarray, t: float,
           dt: float) -> np.ndarray:
    """Advance u_hat' = decay * u_hat + rhs(u_hat) to time ``t`` in equal steps of at most ``dt``.

    The linear (viscous) part is integrated exactly through exp(decay * dt), so stiff diffusion does not limit
    the step; ``rhs`` is the nonlinear term, evaluated pseudo-spectrally by the caller.
    """
    steps = max(1, int(np.ceil(t / dt)))
    dt = t / steps
    e_half, e_full = np.exp(decay * dt / 2), np.exp(decay * dt)
    for _ in range(steps):
        k1 = rhs(u_hat)
        k2 = rhs(e_half * (u_hat + dt / 2 * k1))
        k3 = rhs(e_half * u_hat + dt / 2 * k2)
        k4 = rhs(e_full * u_hat + dt * e_half * k3)
        u_hat = e_full * u_hat + dt / 6 * (e_full * k1 + 2 * e_half * (k2 + k3) + k4)
    return u_hat
