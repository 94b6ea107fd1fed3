"""1-D viscous Burgers u_t + u u_x = nu u_xx on the periodic unit interval.

Two solvers: the exact solution through the Cole-Hopf transform (the reference the data comes from), and a
pseudo-spectral integrating-factor RK4 stepper (the classical solver whose cost and error the surrogate is
compared with; its agreement with the exact solution is tested).
"""

from __future__ import annotations

import numpy as np

from .stepping import if_rk4


def _wavenumbers(n: int) -> np.ndarray:
    return 2 * np.pi * np.fft.rfftfreq(n, 1.0 / n)  # angular wavenumbers 2 pi k, k = 0..n/2


def _shift(u: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """u(x - distance) per row, exactly for band-limited u (a phase shift in Fourier space)."""
    n = u.shape[-1]
    return np.fft.irfft(np.fft.rfft(u) * np.exp(-1j * _wavenumbers(n) * distance[:, None]), n=n)


def burgers_exact(u0: np.ndarray, t: float, nu: float) -> np.ndarray:
    """Exact u(., t) from u0 (n_samples, n) on x_i = i/n, through Cole-Hopf.

    A constant mean m moves with the flow (Galilean invariance: u = m + v(x - m t, t)), so the zero-mean part v is
    solved and shifted. For v: u = -2 nu phi_x / phi with phi_t = nu phi_xx and phi(x, 0) = exp(-V(x) / (2 nu)),
    V the periodic antiderivative of v; the heat equation is solved exactly mode by mode.
    """
    u0 = np.atleast_2d(np.asarray(u0, dtype=np.float64))
    n = u0.shape[-1]
    mean = u0.mean(axis=-1)
    k = _wavenumbers(n)
    v_hat = np.fft.rfft(u0 - mean[:, None])
    big_v_hat = np.zeros_like(v_hat)
    big_v_hat[:, 1:] = v_hat[:, 1:] / (1j * k[1:])
    big_v = np.fft.irfft(big_v_hat, n=n)
    # Subtract each row's max exponent: phi is defined up to a constant factor, and this keeps exp() finite.
    expo = -big_v / (2 * nu)
    phi0 = np.exp(expo - expo.max(axis=-1, keepdims=True))
    phi_hat = np.fft.rfft(phi0) * np.exp(-nu * k**2 * t)
    phi = np.fft.irfft(phi_hat, n=n)
    phi_x = np.fft.irfft(1j * k * phi_hat, n=n)
    v = -2 * nu * phi_x / phi
    return mean[:, None] + _shift(v, mean * t)


def burgers_spectral(u0: np.ndarray, t: float, nu: float, dt: float | None = None, cfl: float = 0.4) -> np.ndarray:
    """u(., t) by a pseudo-spectral integrating-factor RK4 stepper with 2/3-rule dealiasing, (n_samples, n).

    The diffusion is integrated exactly (the integrating factor), so the step is limited only by advection:
    ``dt = cfl * dx / max|u0|`` unless given.
    """
    u = np.atleast_2d(np.asarray(u0, dtype=np.float64))
    n = u.shape[-1]
    k = _wavenumbers(n)
    dealias = np.fft.rfftfreq(n, 1.0 / n) < n / 3
    if dt is None:
        dt = cfl / n / max(float(np.abs(u).max()), 1e-6)

    def rhs(u_hat):  # -(u^2 / 2)_x in Fourier space
        w = np.fft.irfft(u_hat * dealias, n=n)
        return -0.5j * k * np.fft.rfft(w * w)

    return np.fft.irfft(if_rk4(np.fft.rfft(u), rhs, -nu * k**2, t, dt), n=n)


def burgers_residual(u0: np.ndarray, t: float, nu: float, h: float = 1e-4) -> np.ndarray:
    """u_t + u u_x - nu u_xx of the exact solution at time t on the grid: u_t by a central difference in time,
    x-derivatives spectrally. Near zero (to the time difference's O(h^2)) when the exact solver is right."""
    n = np.shape(u0)[-1]
    k = _wavenumbers(n)
    u = burgers_exact(u0, t, nu)
    u_t = (burgers_exact(u0, t + h, nu) - burgers_exact(u0, t - h, nu)) / (2 * h)
    u_hat = np.fft.rfft(u)
    u_x = np.fft.irfft(1j * k * u_hat, n=n)
    u_xx = np.fft.irfft(-(k**2) * u_hat, n=n)
    return u_t + u * u_x - nu * u_xx
