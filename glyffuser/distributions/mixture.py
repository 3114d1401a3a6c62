"""A joint density p(x, y) to condition on: a mixture of 2-D Gaussians, in closed form.

Conditioning a generative model on text means sampling from p(x | y) instead of p(x).
With a Gaussian mixture every piece of that story has a formula:

    p(x, y) = Σ_k π_k N((x, y); μ_k, Σ_k)
    p(x)    = Σ_k π_k N(x; μ_kx, Σ_kxx)                       (integrate out y)
    p(x | y) = Σ_k r_k(y) N(x; μ_kx + Σ_kxy / Σ_kyy (y − μ_ky), Σ_kxx − Σ_kxy² / Σ_kyy)
    r_k(y)  ∝ π_k N(y; μ_ky, Σ_kyy)                           (Bayes' rule per component)

so the explorer can draw the joint density, its marginals and exact slices at any y
(Bishop 2006, section 2.3.1, for the conditional of one Gaussian).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _normal_pdf(x: np.ndarray, mean, var) -> np.ndarray:
    return np.exp(-0.5 * (x - mean) ** 2 / var) / np.sqrt(2.0 * np.pi * var)


@dataclass(frozen=True)
class GaussianMixture2D:
    """Σ_k π_k N(μ_k, Σ_k) on the plane.

    Attributes:
        weights: (K,) π_k, positive, summing to 1.
        means: (K, 2) μ_k = (μ_kx, μ_ky).
        covariances: (K, 2, 2) symmetric positive definite Σ_k.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    @classmethod
    def create(cls, weights, means, stds, correlations) -> "GaussianMixture2D":
        """Build from per-component weights, (σ_x, σ_y) and correlations ρ in (−1, 1)."""
        weights = np.asarray(weights, dtype=np.float64)
        stds = np.asarray(stds, dtype=np.float64).reshape(-1, 2)
        rho = np.asarray(correlations, dtype=np.float64).reshape(-1)
        if np.any(weights <= 0) or np.any(stds <= 0) or np.any(np.abs(rho) >= 1):
            raise ValueError("weights and standard deviations must be positive and |ρ| < 1")
        cov = np.empty((len(weights), 2, 2))
        cov[:, 0, 0], cov[:, 1, 1] = stds[:, 0] ** 2, stds[:, 1] ** 2
        cov[:, 0, 1] = cov[:, 1, 0] = rho * stds[:, 0] * stds[:, 1]
        return cls(weights / weights.sum(), np.asarray(means, dtype=np.float64).reshape(-1, 2), cov)

    def pdf(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """p(x, y) on the grid: ``x`` (nx,), ``y`` (ny,) -> (ny, nx)."""
        gx, gy = np.meshgrid(np.asarray(x, np.float64), np.asarray(y, np.float64))  # (ny, nx)
        total = np.zeros_like(gx)
        for w, mu, cov in zip(self.weights, self.means, self.covariances):
            inv = np.linalg.inv(cov)
            dx, dy = gx - mu[0], gy - mu[1]
            quad = inv[0, 0] * dx**2 + 2 * inv[0, 1] * dx * dy + inv[1, 1] * dy**2
            total += w * np.exp(-0.5 * quad) / (2 * np.pi * np.sqrt(np.linalg.det(cov)))
        return total

    def marginal_x(self, x: np.ndarray) -> np.ndarray:
        """p(x) = ∫ p(x, y) dy at ``x`` (n,)."""
        x = np.asarray(x, np.float64)[:, None]
        return (self.weights * _normal_pdf(x, self.means[:, 0], self.covariances[:, 0, 0])).sum(1)

    def marginal_y(self, y: np.ndarray) -> np.ndarray:
        """p(y) = ∫ p(x, y) dx at ``y`` (n,)."""
        y = np.asarray(y, np.float64)[:, None]
        return (self.weights * _normal_pdf(y, self.means[:, 1], self.covariances[:, 1, 1])).sum(1)

    def responsibilities(self, y: float) -> np.ndarray:
        """(K,) r_k(y) = P(component k | y)."""
        like = self.weights * _normal_pdf(float(y), self.means[:, 1], self.covariances[:, 1, 1])
        return like / like.sum() if like.sum() > 0 else self.weights.copy()

    def conditional_x(self, x: np.ndarray, y: float) -> np.ndarray:
        """p(x | y) at ``x`` (n,): the slice of the joint density at ``y``, renormalised."""
        y = float(y)
        x = np.asarray(x, np.float64)[:, None]
        s_xx, s_xy, s_yy = self.covariances[:, 0, 0], self.covariances[:, 0, 1], self.covariances[:, 1, 1]
        mean = self.means[:, 0] + s_xy / s_yy * (y - self.means[:, 1])
        var = s_xx - s_xy**2 / s_yy
        return (self.responsibilities(y) * _normal_pdf(x, mean, var)).sum(1)


def default_mixture() -> GaussianMixture2D:
    """Two tilted blobs at (x1, y1) = (−1.6, −1.1) and (x2, y2) = (1.5, 1.2), and a faint third.

    Along x alone the two main peaks are about equally likely; knowing y picks one.
    """
    return GaussianMixture2D.create(
        weights=[0.45, 0.45, 0.10],
        means=[[-1.6, -1.1], [1.5, 1.2], [0.2, 2.6]],
        stds=[[0.75, 0.8], [0.7, 0.85], [1.2, 0.45]],
        correlations=[0.45, 0.35, 0.0],
    )
