"""Self-normalisation (Klambauer et al. 2017, "Self-Normalizing Neural Networks").

A unit's input z = Σ_i w_i x_i, with the x_i independent of mean μ and variance ν, is
taken as Gaussian with mean μω and variance ντ, where ω = Σ_i w_i and τ = Σ_i w_i²
(lecun-normal weights: ω ≈ 0, τ ≈ 1). The activation then maps the moments

    g: (μ, ν) ↦ (μ̃, ν̃) = (E[φ(z)], Var[φ(z)]),  z ~ N(μω, ντ)       (paper eqs. 3–4)

An activation self-normalises when g has a fixed point (μ*, ν*) whose Jacobian has
spectral radius < 1, so that nearby moments are pulled back to it layer after layer;
SELU's λ ≈ 1.0507, α ≈ 1.6733 put that fixed point at (0, 1) for ω = 0, τ = 1, where
the paper reports J = [[0, 0.088834], [0, 0.782648]] (spectral norm 0.7877, Sec. 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from actlab.analysis.errors import TheoryOptionError
from actlab.analysis.gaussian import gaussian_moments
from actlab.analysis.scalar_activation import ActivationLike, scalar_activation

#: ν beyond this counts as an unbounded variance (no finite fixed point).
UNBOUNDED_VARIANCE = 1e10
#: A fixed point within this of (0, 1) counts as SELU's normalised one.
NORMALISED_TOLERANCE = 1e-6


def _check(omega: float, tau: float, nu: float) -> None:
    if not (math.isfinite(omega) and math.isfinite(tau) and tau > 0):
        raise TheoryOptionError(f"ω must be finite and τ > 0, got ω={omega!r}, τ={tau!r}")
    if not (math.isfinite(nu) and nu >= 0):
        raise TheoryOptionError(f"the variance ν must be finite and ≥ 0, got {nu!r}")


def moment_map(activation: ActivationLike, mu: float, nu: float, omega: float = 0.0,
               tau: float = 1.0) -> tuple[float, float]:
    """(μ, ν) ↦ (E[φ(z)], Var[φ(z)]) for z ~ N(μω, ντ) (Klambauer et al. eqs. 3–4)."""
    _check(omega, tau, nu)
    m = gaussian_moments(activation, nu * tau, mu * omega)
    return float(m.mean[0]), float(m.output_variance[0])


def moment_map_jacobian(activation: ActivationLike, mu: float, nu: float, omega: float = 0.0,
                        tau: float = 1.0, *, verify: bool = True) -> np.ndarray:
    """∂(μ̃, ν̃)/∂(μ, ν), rows (μ̃, ν̃), columns (μ, ν)."""
    _check(omega, tau, nu)
    m = gaussian_moments(activation, nu * tau, mu * omega, verify=verify)
    d_mean_d_mu = omega * m.mean_by_location[0]
    d_mean_d_nu = tau * m.mean_by_variance[0]
    d_second_d_mu = omega * m.second_moment_by_location[0]
    d_second_d_nu = tau * m.second_moment_by_variance[0]
    mean = m.mean[0]
    return np.array([[d_mean_d_mu, d_mean_d_nu],
                     [d_second_d_mu - 2 * mean * d_mean_d_mu,
                      d_second_d_nu - 2 * mean * d_mean_d_nu]])


@dataclass(frozen=True)
class MomentFixedPoint:
    """The fixed point of the (μ, ν) map reached from a start, and its stability."""

    activation: str
    omega: float
    tau: float
    found: bool
    """False when ν grows without bound (no finite fixed point)"""
    mu: float
    nu: float
    jacobian: np.ndarray
    spectral_radius: float
    """largest |eigenvalue| of the Jacobian: < 1 means the fixed point attracts"""
    spectral_norm: float
    """largest singular value (the paper's sufficient condition for a contraction)"""

    @property
    def stable(self) -> bool:
        return self.found and self.spectral_radius < 1.0

    @property
    def normalised(self) -> bool:
        """A stable fixed point at mean 0, variance 1: the activation self-normalises."""
        return (self.stable and abs(self.mu) <= NORMALISED_TOLERANCE
                and abs(self.nu - 1.0) <= NORMALISED_TOLERANCE)


def moment_fixed_point(activation: ActivationLike, omega: float = 0.0, tau: float = 1.0,
                       start: tuple[float, float] = (0.0, 1.0)) -> MomentFixedPoint:
    """The fixed point of g reached from `start`, by Newton steps guarded by plain iteration.

    A Newton step on g(x) − x is taken when it keeps ν ≥ 0 and shrinks the residual;
    otherwise the map itself is applied (which converges to an attracting fixed point).
    """
    act = scalar_activation(activation)
    _check(omega, tau, start[1])
    x = np.array(start, dtype=np.float64)

    def residual(point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = gaussian_moments(act, point[1] * tau, point[0] * omega, verify=False)
        image = np.array([m.mean[0], m.output_variance[0]])
        return image, image - point

    image, r = residual(x)
    found = True
    for _ in range(500):
        if np.max(np.abs(r)) <= 1e-14 * max(1.0, float(np.max(np.abs(x)))):
            break
        if x[1] > UNBOUNDED_VARIANCE or not np.all(np.isfinite(image)):
            found = False
            break
        jac = moment_map_jacobian(act, x[0], x[1], omega, tau, verify=False)
        try:
            step = np.linalg.solve(jac - np.eye(2), -r)
        except np.linalg.LinAlgError:
            step = None
        candidate = x + step if step is not None else None
        if candidate is not None and np.all(np.isfinite(candidate)) and candidate[1] >= 0:
            image_c, r_c = residual(candidate)
            if np.all(np.isfinite(r_c)) and np.max(np.abs(r_c)) < np.max(np.abs(r)):
                x, image, r = candidate, image_c, r_c
                continue
        x = np.array([image[0], max(image[1], 0.0)])
        image, r = residual(x)
    if not found:
        nan = float("nan")
        return MomentFixedPoint(act.label, omega, tau, False, nan, math.inf,
                                np.full((2, 2), np.nan), nan, nan)
    jac = moment_map_jacobian(act, x[0], x[1], omega, tau)
    radius = float(np.max(np.abs(np.linalg.eigvals(jac))))
    norm = float(np.linalg.norm(jac, 2))
    return MomentFixedPoint(act.label, omega, tau, True, float(x[0]), float(x[1]), jac,
                            radius, norm)
