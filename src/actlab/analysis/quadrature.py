"""Quadrature for Gaussian expectations E[f(m + s·z)], z ~ N(0, 1), exact at kinks.

Plain Gauss–Hermite converges only algebraically on a function with a kink (ReLU, SELU,
hardtanh), so the real line is cut instead: uniform panels in z on a window [-Z, Z],
extra cuts at the function's kinks and on a fixed grid in x (where activations keep
their curvature, whatever the variance), and a 16-point Gauss–Legendre rule on each
panel, weighted by the normal density. On each piece the integrand is analytic, so the
rule converges geometrically (≈1e-15 relative for smooth and piecewise-smooth φ).

Every estimate is checked, never assumed:
- a non-finite φ at a node, or an integrand still large at |z| = 38 (where e^{-z²/2}
  leaves float64), raises `DivergentExpectationError`;
- the window grows until its outermost panels carry a negligible share of ∫|f|dΦ;
- with ``verify=True`` the estimate is recomputed on a mesh twice as fine and must agree
  to `RELATIVE_TOLERANCE` of ∫|f|dΦ (else `QuadratureError`).

Two correlated Gaussians (u₁ = √q₁ z₁, u₂ = √q₂ (c z₁ + √(1−c²) z₂)) are handled as an
iterated integral: the inner one over z₂ for every outer node z₁, with the kinks of the
inner function mapped into each row, and extra outer cuts where the smoothed inner
function keeps a near-kink (c → 1).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from actlab.analysis.errors import DivergentExpectationError, QuadratureError

GL_ORDER = 16
#: Half-width of the first z window; the tail beyond it is P(|z| > 10) ≈ 1.5e-23.
Z_START = 10.0
Z_STEP = 8.0
#: e^{-z²/2} underflows float64 just beyond |z| = 38.6.
Z_LIMIT = 38.0
#: Width of the uniform z panels at refinement level 0.
PANEL_WIDTH = 1.0
#: Fixed cuts in x, every X_SPACING on [-X_REACH, X_REACH]: activations bend there.
X_SPACING = 0.5
X_REACH = 8.0
#: Outermost panels (width 1 in z) may carry at most this share of ∫|f| dΦ; what lies
#: beyond them is smaller still (for a Gaussian-dominated integrand ~1e-4 of it at |z| = 10).
TAIL_TOLERANCE = 1e-14
#: Agreement required between two meshes, relative to ∫|f| dΦ.
RELATIVE_TOLERANCE = 1e-11
MAX_LEVEL = 5

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

#: integrand(x, z) -> the values of one or more functions at the nodes, each shaped like x.
Integrand = Callable[[np.ndarray, np.ndarray], Sequence[np.ndarray]]


@functools.cache
def _legendre_on_unit_interval(order: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes in (0, 1) and weights summing to 1."""
    t, w = np.polynomial.legendre.leggauss(order)
    return (t + 1.0) / 2.0, w / 2.0


@functools.cache
def _x_cuts(kinks: tuple[float, ...], level: int) -> np.ndarray:
    reach = max(X_REACH, 2.0 + max((abs(k) for k in kinks), default=0.0))
    step = X_SPACING / 2**level
    grid = np.arange(-reach, reach + step / 2, step)
    return np.unique(np.concatenate([grid, np.asarray(kinks, dtype=np.float64)]))


@dataclass(frozen=True)
class GaussianRule:
    """Nodes and weights for ∫ f(m + s z) φ(z) dz, one row per (m, s) pair."""

    z: np.ndarray
    weights: np.ndarray
    edge: np.ndarray

    def integrate(self, values: np.ndarray) -> np.ndarray:
        return np.einsum("bn,bn->b", self.weights, values)


def gaussian_rule(mean: np.ndarray, sd: np.ndarray, kinks: tuple[float, ...], *,
                  z_half: float = Z_START, level: int = 0,
                  extra_z: np.ndarray | None = None) -> GaussianRule:
    """A composite Gauss–Legendre rule in z for rows of x = mean + sd·z, cut at `kinks` (in x)."""
    rows = mean.shape[0]
    width = PANEL_WIDTH / 2**level
    n_uniform = max(2, int(round(2 * z_half / width)))
    uniform = np.broadcast_to(np.linspace(-z_half, z_half, n_uniform + 1), (rows, n_uniform + 1))
    kink_array = np.asarray(kinks, dtype=np.float64)
    grid = _x_cuts(kinks, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        kinks_z = (kink_array[None, :] - mean[:, None]) / sd[:, None]
        grid_z = (grid[None, :] - mean[:, None]) / sd[:, None]
    # The x grid only refines rows whose z panels are wider than X_SPACING in x; a row
    # with sd = 0 is the point mass at m, which no cut can change.
    grid_z = np.where((sd[:, None] * width > X_SPACING) & np.isfinite(grid_z), grid_z, -z_half)
    kinks_z = np.where(np.isfinite(kinks_z), kinks_z, -z_half)
    pieces = [uniform, kinks_z, grid_z] + ([extra_z] if extra_z is not None else [])
    bounds = np.sort(np.clip(np.concatenate(pieces, axis=1), -z_half, z_half), axis=1)
    lo, hi = bounds[:, :-1], bounds[:, 1:]
    # Drop empty panels (cuts clipped to the window ends, repeated cuts) to save work.
    empty = hi <= lo
    keep = int((~empty).sum(axis=1).max())
    order = np.argsort(empty, axis=1, kind="stable")[:, :keep]
    lo, hi = np.take_along_axis(lo, order, 1), np.take_along_axis(hi, order, 1)
    t, w = _legendre_on_unit_interval(GL_ORDER)
    z = lo[..., None] + (hi - lo)[..., None] * t
    weights = (hi - lo)[..., None] * w * (_INV_SQRT_2PI * np.exp(-0.5 * z * z))
    edge = np.broadcast_to(((lo < -z_half + width) | (hi > z_half - width))[..., None], z.shape)
    return GaussianRule(z.reshape(rows, -1), weights.reshape(rows, -1), edge.reshape(rows, -1))


def adaptive_expectations(integrand: Integrand, mean: np.ndarray, sd: np.ndarray,
                          kinks: tuple[float, ...], *, what: str, verify: bool = True,
                          extra_z: Callable[[int], np.ndarray] | None = None,
                          batch_scale: bool = False, divergent: str = "raise",
                          verified: int | None = None) -> list[np.ndarray]:
    """∫ f_k(m + s z) dΦ(z) for every function f_k that `integrand` returns, per row (m, s).

    The window grows until the tails are negligible (relative to each row's ∫|f|dΦ, or
    with `batch_scale` to the largest in the batch: rows that are parts of one larger
    integral); with `verify` the mesh is refined until two successive estimates agree
    (the finer one is returned; only the first `verified` functions are compared, when
    the others are built from the same pieces). A row whose expectation diverges raises
    `DivergentExpectationError`, or with ``divergent="nan"`` comes back as NaN.
    """
    z_half = Z_START
    level = 0
    previous: list[np.ndarray] | None = None
    dead = np.zeros(mean.shape[0], dtype=bool)
    while True:
        rule = gaussian_rule(mean, sd, kinks, z_half=z_half, level=level,
                             extra_z=None if extra_z is None else extra_z(level))
        x = mean[:, None] + sd[:, None] * rule.z
        with np.errstate(invalid="ignore", over="ignore"):
            values = [np.asarray(v, dtype=np.float64) for v in integrand(x, rule.z)]
        live = rule.weights > 0
        for v in values:
            bad = live & ~np.isfinite(v) & ~dead[:, None]
            if bad.any() and divergent == "raise":
                row, node = np.argwhere(bad)[0]
                raise DivergentExpectationError(
                    f"{what} is not finite at variance {sd[row] ** 2:.6g}: the integrand is "
                    f"{v[row, node]} at x = {x[row, node]:.6g}; the expectation diverges or "
                    f"overflows float64 — use a smaller variance (σ_w², σ_b²) or a function "
                    f"that grows more slowly")
            dead |= bad.any(axis=1)
        values = [np.where(dead[:, None] | ~live, 0.0, v) for v in values]
        magnitudes = [rule.integrate(np.abs(v)) for v in values]
        heavy = np.zeros_like(dead)
        for v, absolute in zip(values, magnitudes, strict=True):
            tail = np.einsum("bn,bn->b", rule.weights * rule.edge, np.abs(v))
            scale = np.max(absolute) if batch_scale else absolute
            heavy |= tail > TAIL_TOLERANCE * scale
        if heavy.any():
            if z_half + 1e-9 < Z_LIMIT:
                z_half = min(z_half + Z_STEP, Z_LIMIT)
                previous = None
                continue
            if divergent == "raise":
                worst = float(np.max(sd[heavy]) ** 2)
                raise DivergentExpectationError(
                    f"{what} diverges or exceeds float64 at variance {worst:.6g}: the "
                    f"integrand is still not negligible {Z_LIMIT:g} standard deviations out; "
                    f"use a smaller variance (σ_w², σ_b²) or a function that grows more slowly")
            dead |= heavy
        estimates = [np.where(dead, np.nan, rule.integrate(v)) for v in values]
        if not verify:
            return estimates
        if previous is not None:
            checked = slice(0, verified)
            settled = all(np.all(np.abs(e - p)[~dead] <= RELATIVE_TOLERANCE * m[~dead] + 1e-300)
                          for e, p, m in zip(estimates[checked], previous[checked],
                                             magnitudes[checked], strict=True))
            if settled:
                return estimates
        if level == MAX_LEVEL:
            raise QuadratureError(
                f"{what} does not settle under mesh refinement (level {level}); the function "
                f"may have an undeclared jump or oscillate too fast for the mesh")
        previous = estimates
        level += 1


def bivariate_product_expectations(outer: Sequence[Callable[[np.ndarray], np.ndarray]],
                                   inner: Sequence[Callable[[np.ndarray], np.ndarray]],
                                   q1: float, q2: float, c: float,
                                   outer_kinks: tuple[float, ...],
                                   inner_kinks: tuple[float, ...], *, what: str,
                                   verify: bool = True) -> list[float]:
    """E[f_k(u₁) g_k(u₂)] for each pair (f_k, g_k) of `outer` and `inner`.

    (u₁, u₂) is centred Gaussian with variances q₁, q₂ and correlation c:
    u₁ = √q₁ z₁, u₂ = √q₂ (c z₁ + √(1−c²) z₂), with z₁, z₂ independent N(0, 1).
    """
    c = float(np.clip(c, -1.0, 1.0))
    s = math.sqrt(max(0.0, 1.0 - c * c))
    sd1, sd2 = math.sqrt(q1), math.sqrt(q2)

    def inner_means(x1: np.ndarray, z1: np.ndarray) -> list[np.ndarray]:
        flat = z1.reshape(-1)
        mean = sd2 * c * flat
        spread = np.full_like(mean, sd2 * s)
        smoothed = adaptive_expectations(
            lambda x, z: [g(x) for g in inner], mean, spread, inner_kinks, what=what,
            verify=False, batch_scale=True)
        outer_values = [f(x1) for f in outer]
        return [f_values * g_smoothed.reshape(z1.shape)
                for f_values, g_smoothed in zip(outer_values, smoothed, strict=True)]

    def outer_cuts(level: int) -> np.ndarray:
        # Where the inner function bends (its kinks and x-grid, seen through u₂ = √q₂ c z₁),
        # the smoothed inner integral bends on the scale s/|c| in z₁: cut there too.
        points = [np.zeros(0)]
        if abs(sd2 * c) * PANEL_WIDTH / 2**level > X_SPACING:
            points.append(_x_cuts(inner_kinks, level) / (sd2 * c))
        if inner_kinks and s > 0.0 and c != 0.0:
            # A geometric mesh from s/8 out to one panel width, around each near-kink.
            scale = s / abs(c)
            steps = 2**level
            top = max(0.0, math.log2(PANEL_WIDTH / scale))
            offsets = scale * 2.0 ** (np.arange(-3 * steps, int(top * steps) + 1) / steps)
            kink_centres = np.asarray(inner_kinks) / (sd2 * c)
            points += [(kink_centres[:, None] + sign * offsets[None, :]).ravel()
                       for sign in (-1.0, 1.0)]
        return np.concatenate(points)[None, :]

    result = adaptive_expectations(inner_means, np.zeros(1), np.array([sd1]), outer_kinks,
                                   what=what, verify=verify, extra_z=outer_cuts)
    return [float(r[0]) for r in result]
