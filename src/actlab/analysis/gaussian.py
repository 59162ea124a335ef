"""Gaussian expectations of an activation: E[φ(u)], E[φ(u)²], E[φ′(u)²] for u ~ N(m, v).

Also their derivatives in m and v (for fixed-point Newton steps and Jacobians). For a
continuous φ (kinks allowed, φ′ may jump) Stein's lemma gives them from φ′ alone:

    ∂/∂m E[f(u)] = E[f′(u)]
    ∂/∂v E[f(u)] = E[f″(u)]/2 = E[(f′(u) − f′(m)) z] / (2√v)

(subtracting f′(m) changes nothing, since E[z] = 0, but keeps small v accurate). A φ
that jumps (binary step, hard shrink) has Dirac masses in φ′, so there the density is
differentiated instead: ∂/∂v E[f(u)] = E[(f(u) − f(m))(z² − 1)]/(2v) and
∂/∂m E[f(u)] = E[(f(u) − f(m)) z]/√v. The bivariate expectations E[φ(u₁)φ(u₂)],
E[φ′(u₁)φ′(u₂)] cover a correlated pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from actlab.analysis.errors import TheoryOptionError
from actlab.analysis.quadrature import adaptive_expectations, bivariate_product_expectations
from actlab.analysis.scalar_activation import ActivationLike, scalar_activation

#: Variances below this are evaluated at it: the v → 0⁺ limit (both sides of a kink at 0).
VARIANCE_FLOOR = 1e-20


@dataclass(frozen=True)
class GaussianMoments:
    """Expectations of φ(u), u ~ N(m, v), one entry per (m, v) pair."""

    location: np.ndarray
    variance: np.ndarray
    mean: np.ndarray
    """E[φ(u)]"""
    second_moment: np.ndarray
    """E[φ(u)²]"""
    derivative_second_moment: np.ndarray
    """E[φ′(u)²]"""
    mean_by_variance: np.ndarray
    """∂E[φ(u)]/∂v"""
    second_moment_by_variance: np.ndarray
    """∂E[φ(u)²]/∂v"""
    mean_by_location: np.ndarray
    """∂E[φ(u)]/∂m"""
    second_moment_by_location: np.ndarray
    """∂E[φ(u)²]/∂m"""

    @property
    def output_variance(self) -> np.ndarray:
        """Var[φ(u)] = E[φ²] − E[φ]²."""
        return self.second_moment - self.mean**2


def _check_variances(values: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise TheoryOptionError(f"{name} must be finite and non-negative, got "
                                f"{values[~(np.isfinite(values) & (values >= 0))][0]!r}")


def gaussian_moments(activation: ActivationLike, variance: float | Sequence[float] | np.ndarray,
                     location: float | Sequence[float] | np.ndarray = 0.0, *,
                     verify: bool = True, divergent: str = "raise") -> GaussianMoments:
    """E[φ(u)], E[φ(u)²], E[φ′(u)²] and their slopes for u ~ N(location, variance).

    Where an expectation diverges: `DivergentExpectationError`, or NaN in that entry with
    ``divergent="nan"``.
    """
    act = scalar_activation(activation)
    v = np.atleast_1d(np.asarray(variance, dtype=np.float64)).ravel()
    _check_variances(v, "the variance")
    m = np.broadcast_to(np.atleast_1d(np.asarray(location, dtype=np.float64)).ravel(),
                        v.shape).copy()
    if not np.all(np.isfinite(m)):
        raise TheoryOptionError("the mean of the Gaussian must be finite")
    v_eff = np.maximum(v, VARIANCE_FLOOR)
    sd = np.sqrt(v_eff)
    jumps = act.spec.properties.smoothness < 0
    with np.errstate(over="ignore", invalid="ignore"):
        phi_m, dphi_m = act.value(m)[:, None], act.derivative(m)[:, None]

    def integrand(x: np.ndarray, z: np.ndarray) -> list[np.ndarray]:
        phi = act.value(x)
        dphi = act.derivative(x)
        square = phi * phi
        if jumps:
            slopes = [(phi - phi_m) * (z * z - 1), (square - phi_m**2) * (z * z - 1),
                      (phi - phi_m) * z, (square - phi_m**2) * z]
        else:
            slopes = [(dphi - dphi_m) * z, 2 * (phi * dphi - phi_m * dphi_m) * z,
                      dphi, 2 * phi * dphi]
        return [phi, square, dphi * dphi, *slopes]

    what = f"E[φ(u)], E[φ(u)²] or E[φ′(u)²] for {act.label}"
    # The mesh is judged on φ, φ² and φ′²; the slope integrands live on the same pieces.
    e = adaptive_expectations(integrand, m, sd, act.kinks, what=what, verify=verify,
                              divergent=divergent, verified=3)
    if jumps:
        by_variance = (e[3] / (2 * v_eff), e[4] / (2 * v_eff))
        by_location = (e[5] / sd, e[6] / sd)
    else:
        by_variance = (e[3] / (2 * sd), e[4] / (2 * sd))
        by_location = (e[5], e[6])
    return GaussianMoments(
        location=m, variance=v, mean=e[0], second_moment=e[1], derivative_second_moment=e[2],
        mean_by_variance=by_variance[0], second_moment_by_variance=by_variance[1],
        mean_by_location=by_location[0], second_moment_by_location=by_location[1])


def expected_value(activation: ActivationLike, q: float) -> float:
    """E[φ(√q z)], z ~ N(0, 1)."""
    return float(gaussian_moments(activation, q).mean[0])


def expected_square(activation: ActivationLike, q: float) -> float:
    """E[φ(√q z)²], z ~ N(0, 1)."""
    return float(gaussian_moments(activation, q).second_moment[0])


def expected_derivative_square(activation: ActivationLike, q: float) -> float:
    """E[φ′(√q z)²], z ~ N(0, 1)."""
    return float(gaussian_moments(activation, q).derivative_second_moment[0])


@dataclass(frozen=True)
class CorrelatedMoments:
    """E[φ(u₁)φ(u₂)] and E[φ′(u₁)φ′(u₂)] for a centred Gaussian pair."""

    q1: float
    q2: float
    correlation: float
    product: float
    """E[φ(u₁)φ(u₂)]"""
    derivative_product: float
    """E[φ′(u₁)φ′(u₂)]"""


def correlated_moments(activation: ActivationLike, q1: float, q2: float, correlation: float,
                       *, verify: bool = True) -> CorrelatedMoments:
    """E[φ(u₁)φ(u₂)], E[φ′(u₁)φ′(u₂)]; u₁ = √q₁ z₁, u₂ = √q₂ (c z₁ + √(1−c²) z₂)."""
    act = scalar_activation(activation)
    _check_variances(np.array([q1, q2], dtype=np.float64), "the variance")
    if not (np.isfinite(correlation) and -1.0 <= correlation <= 1.0):
        raise TheoryOptionError(f"the correlation must lie in [-1, 1], got {correlation!r}")
    q1_eff, q2_eff = max(q1, VARIANCE_FLOOR), max(q2, VARIANCE_FLOOR)
    product, derivative_product = bivariate_product_expectations(
        [act.value, act.derivative], [act.value, act.derivative], q1_eff, q2_eff,
        float(correlation), act.kinks, act.kinks,
        what=f"E[φ(u₁)φ(u₂)] or E[φ′(u₁)φ′(u₂)] for {act.label}", verify=verify)
    return CorrelatedMoments(q1, q2, float(correlation), product, derivative_product)
