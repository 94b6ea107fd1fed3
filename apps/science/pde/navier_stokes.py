"""2-D incompressible Navier-Stokes in vorticity form on the unit torus, pseudo-spectral:

    w_t + u . grad w = nu Laplacian w + f,   u = curl(psi),  -Laplacian psi = w,

with the FNO paper's forcing f = 0.1 (sin 2 pi (x + y) + cos 2 pi (x + y)). Integrating-factor RK4 (viscosity
exact), 2/3-rule dealiasing, all samples stepped together.
"""

from __future__ import annotations

import numpy as np

from .stepping import if_rk4


def forcing(n: int) -> np.ndarray:
    x = np.arange(n) / n
    s = 2 * np.pi * (x[:, None] + x[None, :])
    return 0.1 * (np.sin(s) + np.cos(s))


def ns_vorticity(w0: np.ndarray, t: float, nu: float = 1e-3, dt: float | None = None, force: bool = True,
                 cfl: float = 0.5) -> np.ndarray:
    """Vorticity at time t from w0 (n_samples, n, n) on the grid x_i = i/n; returns (n_samples, n, n)."""
    w = np.asarray(w0, dtype=np.float64)
    w = w[None] if w.ndim == 2 else w
    n = w.shape[-1]
    kx = 2 * np.pi * np.fft.fftfreq(n, 1.0 / n)[:, None]  # (n, 1)
    ky = 2 * np.pi * np.fft.rfftfreq(n, 1.0 / n)[None, :]  # (1, n//2+1)
    k2 = kx**2 + ky**2
    inv_k2 = np.where(k2 > 0, 1.0 / np.where(k2 > 0, k2, 1.0), 0.0)
    keep = (np.abs(np.fft.fftfreq(n, 1.0 / n))[:, None] < n / 3) & (np.fft.rfftfreq(n, 1.0 / n)[None, :] < n / 3)
    f_hat = np.fft.rfft2(forcing(n)) if force else 0.0

    def rhs(w_hat):
        w_hat = w_hat * keep
        psi_hat = w_hat * inv_k2
        u = np.fft.irfft2(1j * ky * psi_hat, s=(n, n))  # u = psi_y
        v = np.fft.irfft2(-1j * kx * psi_hat, s=(n, n))  # v = -psi_x
        w_x = np.fft.irfft2(1j * kx * w_hat, s=(n, n))
        w_y = np.fft.irfft2(1j * ky * w_hat, s=(n, n))
        return -np.fft.rfft2(u * w_x + v * w_y) + f_hat

    if dt is None:
        w_hat0 = np.fft.rfft2(w) * inv_k2
        speed = max(float(np.abs(np.fft.irfft2(1j * ky * w_hat0, s=(n, n))).max()),
                    float(np.abs(np.fft.irfft2(-1j * kx * w_hat0, s=(n, n))).max()), 1e-3)
        dt = cfl / n / speed
    return np.fft.irfft2(if_rk4(np.fft.rfft2(w), rhs, -nu * k2, t, dt), s=(n, n))


def taylor_green(n: int, t: float, nu: float, k: int = 1) -> np.ndarray:
    """Exact decaying Taylor-Green vorticity (no forcing): w = 2 (2 pi k) cos(2 pi k x) cos(2 pi k y) e^(-2 nu (2 pi
    k)^2 t). Its advection term vanishes identically, so it checks the viscous part and the stream function."""
    x = np.arange(n) / n
    c = np.cos(2 * np.pi * k * x)
    return 2 * (2 * np.pi * k) * c[:, None] * c[None, :] * np.exp(-2 * nu * (2 * np.pi * k) ** 2 * t)
