"""Gaussian random fields N(0, sigma^2 (-Laplacian + tau^2 I)^(-alpha)), the initial conditions and coefficients of
the FNO benchmarks, sampled exactly in the Laplacian's eigenbasis."""

from __future__ import annotations

import numpy as np


def periodic_grf_1d(rng: np.random.Generator, n_samples: int, n: int, sigma2: float = 625.0, tau2: float = 25.0,
                    alpha: float = 2.0) -> np.ndarray:
    """Samples on x_i = i/n of [0, 1) with periodic boundaries, (n_samples, n).

    In the orthonormal Fourier basis {1, sqrt(2) cos 2 pi k x, sqrt(2) sin 2 pi k x} the field's coefficients are
    independent with standard deviation sigma ((2 pi k)^2 + tau^2)^(-alpha/2); modes up to n/2 - 1 are kept.
    """
    k = np.arange(n // 2 + 1)
    std = np.sqrt(sigma2) * ((2 * np.pi * k) ** 2 + tau2) ** (-alpha / 2)
    a, b = rng.standard_normal((2, n_samples, k.size))
    # u = sum_k c_k e^(2 pi i k x) with c_k = std_k (a - i b) / sqrt(2) for k >= 1 (and c_-k its conjugate).
    coef = std * (a - 1j * b) / np.sqrt(2)
    coef[:, 0] = std[0] * a[:, 0]
    coef[:, -1] = 0.0  # no Nyquist mode: it has no sine partner
    return np.fft.irfft(coef * n, n=n)


def neumann_grf_2d(rng: np.random.Generator, n_samples: int, n: int, tau2: float = 9.0, alpha: float = 2.0,
                   modes: int = 64) -> np.ndarray:
    """Samples on the (n, n) grid of [0, 1]^2 (both ends included) in the cosine basis of the Neumann Laplacian,
    with the first ``modes`` modes per axis; (n_samples, n, n). Unit amplitude: only its sign is used (Darcy)."""
    k = np.arange(modes)
    lam = (np.pi**2 * (k[:, None] ** 2 + k[None, :] ** 2) + tau2) ** (-alpha / 2)  # (modes, modes)
    lam[0, 0] = 0.0  # no constant mode: the sign then splits the square roughly in half
    basis = np.cos(np.pi * k[:, None] * np.linspace(0, 1, n)[None, :])  # (modes, n)
    xi = rng.standard_normal((n_samples, modes, modes)) * lam
    return np.einsum("kx,skl,ly->sxy", basis, xi, basis, optimize=True)


def periodic_grf_2d(rng: np.random.Generator, n_samples: int, n: int, sigma: float = 7**1.5, tau2: float = 49.0,
                    alpha: float = 2.5) -> np.ndarray:
    """Samples on the (n, n) grid of the unit torus, zero mean, (n_samples, n, n): the Navier-Stokes vorticity
    initial condition N(0, 7^(3/2) (-Laplacian + 49 I)^(-2.5)) of the FNO paper (sigma multiplies the square root
    of the covariance there, as here)."""
    k = np.fft.fftfreq(n, 1.0 / n)
    k2 = (2 * np.pi) ** 2 * (k[:, None] ** 2 + k[None, :] ** 2)
    std = sigma * (k2 + tau2) ** (-alpha / 2)
    std[0, 0] = 0.0
    # A real white-noise field's FFT has the right Hermitian symmetry; scaling it by std gives the covariance.
    white = np.fft.fft2(rng.standard_normal((n_samples, n, n))) / n  # unit variance per mode
    return np.real(np.fft.ifft2(white * std * n * n))  # ifft2 divides by n^2: coefficients c_k need n^2 c_k
