"""Mean-field signal propagation in deep random networks (Poole 2016, Schoenholz 2017).

A network h^l = W^l φ(h^{l-1}) + b^l with W_ij ~ N(0, σ_w²/N) and b_i ~ N(0, σ_b²) has,
in the wide limit, Gaussian pre-activations whose variance and correlation follow

    q^l = σ_w² E[φ(√q^{l-1} z)²] + σ_b²                              (Poole eq. 3)
    c^l = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / q^l,                          (Poole eq. 5)
          u₁ = √q z₁,  u₂ = √q (c z₁ + √(1−c²) z₂)

with z, z₁, z₂ independent standard normals. At the variance fixed point q*,

    χ₁ = σ_w² E[φ′(√q* z)²]                                           (Poole eq. 7)

is the slope of the correlation map at c = 1: χ₁ < 1 is the ordered phase (nearby
inputs converge, gradients vanish), χ₁ > 1 the chaotic one (they decorrelate, gradients
explode), χ₁ = 1 the critical line (Schoenholz et al. 2017, Sec. 3–5). Distances to the
fixed points decay as e^{-l/ξ} with the depth scales of Schoenholz et al. Sec. 3:

    ξ_q⁻¹ = −log(χ₁ + σ_w² E[φ″(√q* z) φ(√q* z)])  (eq. 7)  = −log dq^l/dq^{l-1} at q*
    ξ_c⁻¹ = −log χ_c,  χ_c = σ_w² E[φ′(u₁*)φ′(u₂*)] at (q*, c*)   (eq. 9; = χ₁ when c* = 1)

ξ_q is computed as −1/log of the derivative of the variance map, which by Stein's lemma
equals the paper's bracket and needs no φ″ (so kinks carry no Dirac terms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from actlab.analysis.errors import DivergentExpectationError, TheoryOptionError
from actlab.analysis.gaussian import correlated_moments, gaussian_moments
from actlab.analysis.scalar_activation import ActivationLike, ScalarActivation, scalar_activation

#: The variance map is iterated from here (standardised inputs through σ_w² = 1).
DEFAULT_Q0 = 1.0
#: A variance beyond this many times max(1, q⁰, σ_b²) counts as unbounded growth.
UNBOUNDED_FACTOR = 1e10
#: Below this the fixed point is q* = 0 (the network maps every input to zero).
ZERO_VARIANCE = 1e-18
#: |χ₁ − 1| within this is called critical: ξ_c ≥ ~1000 layers.
CRITICAL_TOLERANCE = 1e-3
#: σ_w² is searched in [SIGMA_W2_MIN, SIGMA_W2_MAX] for the order-to-chaos transition.
SIGMA_W2_MIN = 1e-3
SIGMA_W2_MAX = 1e3

PHASES = ("ordered", "critical", "chaotic", "unbounded")


def _check_sigmas(sigma_w2: np.ndarray, sigma_b2: np.ndarray) -> None:
    for name, values in (("σ_w²", sigma_w2), ("σ_b²", sigma_b2)):
        bad = ~np.isfinite(values) | (values < 0)
        if np.any(bad):
            raise TheoryOptionError(f"{name} must be a finite number ≥ 0, got "
                                    f"{values[bad].ravel()[0]!r}")
    if np.any(sigma_w2 == 0):
        raise TheoryOptionError("σ_w² must be > 0 (with zero weights no signal propagates)")


def variance_map(activation: ActivationLike, q: float | np.ndarray, sigma_w2: float,
                 sigma_b2: float) -> np.ndarray:
    """q ↦ σ_w² E[φ(√q z)²] + σ_b² (Poole et al. 2016, eq. 3), elementwise in q."""
    _check_sigmas(np.atleast_1d(float(sigma_w2)), np.atleast_1d(float(sigma_b2)))
    moments = gaussian_moments(activation, q)
    return sigma_w2 * moments.second_moment + sigma_b2


@dataclass(frozen=True)
class VarianceFixedPoints:
    """q* per (σ_w², σ_b²) pair; q* = inf where the variance grows without bound."""

    sigma_w2: np.ndarray
    sigma_b2: np.ndarray
    q_star: np.ndarray
    slope: np.ndarray
    """dq^l/dq^{l-1} at q* (χ_q; NaN where unbounded)"""
    chi_1: np.ndarray
    """σ_w² E[φ′(√q* z)²] (NaN where unbounded)"""
    escape_chi_1: np.ndarray
    """where unbounded: σ_w² E[φ′(√q z)²] at the largest q reached (NaN if that diverged)"""

    @property
    def bounded(self) -> np.ndarray:
        return np.isfinite(self.q_star)


def _map_and_slope(act: ScalarActivation, q: np.ndarray, sw: np.ndarray, sb: np.ndarray,
                   verify: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """F(q), F′(q) and σ_w² E[φ′²] per row; NaN where the expectation diverges."""
    m = gaussian_moments(act, q, verify=verify, divergent="nan")
    return (sw * m.second_moment + sb, sw * m.second_moment_by_variance,
            sw * m.derivative_second_moment)


def variance_fixed_points(activation: ActivationLike, sigma_w2: float | np.ndarray,
                          sigma_b2: float | np.ndarray, q0: float = DEFAULT_Q0, *,
                          verify: bool = True) -> VarianceFixedPoints:
    """The fixed point q* = F(q*) of the variance map that iteration from q⁰ reaches.

    Vectorised over (σ_w², σ_b²). From q⁰ the variance map moves up (F(q⁰) > q⁰) or down;
    q* is bracketed by stepping in that direction by factors of 4 (the first crossing of
    the diagonal, where iteration of an increasing map converges) and refined by Newton
    steps kept inside the bracket. Growth past UNBOUNDED_FACTOR·max(1, q⁰, σ_b²), or an
    expectation that diverges on the way up, gives q* = inf. With `verify`, the slope
    and χ₁ at q* come from a mesh-refined quadrature.
    """
    act = scalar_activation(activation)
    sw, sb = np.broadcast_arrays(np.atleast_1d(np.asarray(sigma_w2, dtype=np.float64)),
                                 np.atleast_1d(np.asarray(sigma_b2, dtype=np.float64)))
    sw, sb = sw.ravel().copy(), sb.ravel().copy()
    _check_sigmas(sw, sb)
    if not (np.isfinite(q0) and q0 > 0):
        raise TheoryOptionError(f"the starting variance q⁰ must be > 0, got {q0!r}")
    rows = sw.shape[0]
    start = np.full(rows, float(q0))
    f0, _, _ = _map_and_slope(act, start, sw, sb)
    if np.any(np.isnan(f0)):
        # The map is undefined where the iteration starts: say why, loudly.
        gaussian_moments(act, start[np.isnan(f0)][:1])
    # Within rounding of the diagonal, q⁰ itself is the fixed point (ReLU at σ_w² = 2, σ_b² = 0
    # maps every q to itself).
    at_start = np.abs(f0 - start) <= 1e-13 * start
    going_up = f0 > start
    # Bracket [lo, hi] with G(lo) ≥ 0 ≥ G(hi), G(q) = F(q) − q.
    lo = np.where(going_up, start, 0.0)
    hi = np.where(going_up, np.inf, start)
    q_star = np.full(rows, np.nan)
    q_star[at_start] = q0
    limit = UNBOUNDED_FACTOR * np.maximum.reduce([np.ones(rows), start, sb])
    probe = start.copy()
    step = np.full(rows, 4.0)
    escape_chi = np.full(rows, np.nan)
    searching = ~at_start
    while np.any(searching):
        probe[searching] = np.where(going_up, probe * step, probe / step)[searching]
        # Upwards the step squares (4, 16, 256, ...): unbounded growth is found in a few
        # probes; the bracket it leaves is split geometrically below.
        step[searching & going_up] = np.minimum(step[searching & going_up] ** 2, 1e4)
        f = np.full(rows, np.nan)
        chi = np.full(rows, np.nan)
        f[searching], _, chi[searching] = _map_and_slope(act, probe[searching], sw[searching],
                                                         sb[searching])
        up_rows = searching & going_up
        escaped = up_rows & (np.isnan(f) | ((probe > limit) & (f > probe)))
        q_star[escaped] = np.inf
        escape_chi[escaped] = chi[escaped]
        crossed_up = up_rows & ~escaped & (f <= probe)
        hi[crossed_up] = probe[crossed_up]
        lo[up_rows & ~escaped & ~crossed_up] = probe[up_rows & ~escaped & ~crossed_up]
        down_rows = searching & ~going_up
        crossed_down = down_rows & (f >= probe)
        lo[crossed_down] = probe[crossed_down]
        hi[down_rows & ~crossed_down] = probe[down_rows & ~crossed_down]
        vanished = down_rows & ~crossed_down & (probe < ZERO_VARIANCE)
        q_star[vanished] = 0.0
        searching &= ~(escaped | crossed_up | crossed_down | vanished)
    refine = np.isnan(q_star)
    q = np.where(refine, np.sqrt(np.maximum(lo, ZERO_VARIANCE)) * np.sqrt(np.minimum(hi, 1e300)),
                 q_star)
    for _ in range(200):
        if not np.any(refine):
            break
        f, slope = np.full(rows, np.nan), np.full(rows, np.nan)
        f[refine], slope[refine], _ = _map_and_slope(act, q[refine], sw[refine], sb[refine])
        g = f - q
        lo = np.where(refine & (g >= 0), q, lo)
        hi = np.where(refine & (g <= 0), q, hi)
        done = refine & ((np.abs(g) <= 1e-14 * q) | (hi - lo <= 1e-14 * hi))
        q_star[done] = q[done]
        refine &= ~done
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = q - g / (slope - 1.0)
        inside = (newton > lo) & (newton < hi) & np.isfinite(newton)
        middle = np.where(lo > 0, np.sqrt(lo * hi), hi / 2)
        q = np.where(refine, np.where(inside, newton, middle), q)
    q_star[refine] = q[refine]
    # Below ~1e-12 the map's distance from the diagonal, G(q) ≈ −a q², is lost in rounding:
    # a fixed point found there with σ_b² = 0 is the attracting q* = 0.
    q_star[(q_star < 1e-12 * float(q0)) & (sb == 0)] = 0.0
    finite = np.isfinite(q_star)
    slope = np.full(rows, np.nan)
    chi = np.full(rows, np.nan)
    if np.any(finite):
        _, s, c = _map_and_slope(act, q_star[finite], sw[finite], sb[finite], verify=verify)
        slope[finite], chi[finite] = s, c
    return VarianceFixedPoints(sw, sb, q_star, slope, chi, escape_chi)


def variance_fixed_point(activation: ActivationLike, sigma_w2: float, sigma_b2: float,
                         q0: float = DEFAULT_Q0) -> float:
    """q* for one (σ_w², σ_b²): see `variance_fixed_points`."""
    return float(variance_fixed_points(activation, sigma_w2, sigma_b2, q0).q_star[0])


def chi_1(activation: ActivationLike, sigma_w2: float, sigma_b2: float) -> float:
    """χ₁ = σ_w² E[φ′(√q* z)²] at the variance fixed point (Poole et al. eq. 7)."""
    return float(variance_fixed_points(activation, sigma_w2, sigma_b2).chi_1[0])


def correlation_map(activation: ActivationLike, c: float, q: float, sigma_w2: float,
                    sigma_b2: float) -> float:
    """c ↦ (σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / F(q) for two inputs of equal variance q (Poole eq. 5)."""
    _check_sigmas(np.atleast_1d(float(sigma_w2)), np.atleast_1d(float(sigma_b2)))
    pair = correlated_moments(activation, q, q, c)
    q_next = float(variance_map(activation, q, sigma_w2, sigma_b2)[0])
    return (sigma_w2 * pair.product + sigma_b2) / q_next


@dataclass(frozen=True)
class CorrelationFixedPoint:
    """The stable fixed point c* of the correlation map at q*, and its slope χ_c."""

    c_star: float
    chi_c: float


def correlation_fixed_point(activation: ActivationLike, sigma_w2: float, sigma_b2: float,
                            q_star: float | None = None, chi1: float | None = None
                            ) -> CorrelationFixedPoint:
    """c* and χ_c = σ_w² E[φ′(u₁)φ′(u₂)] at (q*, c*) (Schoenholz et al. eq. 9).

    In the ordered phase (χ₁ ≤ 1) c = 1 is the stable fixed point and χ_c = χ₁. Otherwise
    c = 1 repels, and H(c) = C(c) − c changes sign on [0, 1): H(0) = (σ_w² E[φ]² + σ_b²)/q* ≥ 0
    and H(1 − ε) ≈ −(χ₁ − 1) ε < 0, so c* is the root there (Brent's method).
    """
    act = scalar_activation(activation)
    if q_star is None or chi1 is None:
        fixed = variance_fixed_points(act, sigma_w2, sigma_b2)
        q_star, chi1 = float(fixed.q_star[0]), float(fixed.chi_1[0])
    if not math.isfinite(q_star):
        return CorrelationFixedPoint(math.nan, math.nan)
    # χ₁ within rounding of 1 is critical: c* = 1, approached as a power of depth.
    if chi1 <= 1.0 + 1e-12 or q_star <= ZERO_VARIANCE:
        return CorrelationFixedPoint(1.0, chi1)

    def gap(c: float, verify: bool = False) -> float:
        pair = correlated_moments(act, q_star, q_star, c, verify=verify)
        return (sigma_w2 * pair.product + sigma_b2) / q_star - c

    top = None
    for eps in (1e-2, 1e-4, 1e-6, 1e-8, 1e-10):
        if gap(1.0 - eps) < 0:
            top = 1.0 - eps
            break
    if top is None:
        # χ₁ is so close to 1 that c* cannot be told from 1 in float64.
        return CorrelationFixedPoint(1.0, chi1)
    if gap(0.0) <= 0:
        c_star = 0.0
    else:
        c_star = optimize.brentq(gap, 0.0, top, xtol=1e-13, rtol=4 * np.finfo(float).eps)
    pair = correlated_moments(act, q_star, q_star, c_star, verify=True)
    return CorrelationFixedPoint(float(c_star), sigma_w2 * pair.derivative_product)


def depth_scale(chi: float) -> float:
    """ξ = −1/log χ: the depth over which a deviation from a fixed point shrinks by e.

    ∞ at χ ≥ 1 (critical, or a repelling fixed point: no exponential approach at all).
    """
    if not math.isfinite(chi):
        return math.nan
    if chi <= 0:
        return 0.0
    # Within rounding of 1 the approach is slower than exponential (a power of depth).
    if chi >= 1 - 1e-12:
        return math.inf
    return -1.0 / math.log(chi)


def classify_phase(chi1: float, q_star: float) -> str:
    """ordered (χ₁ < 1), critical (|χ₁ − 1| ≤ CRITICAL_TOLERANCE), chaotic, unbounded (q* = ∞)."""
    if not math.isfinite(q_star):
        return "unbounded"
    if abs(chi1 - 1.0) <= CRITICAL_TOLERANCE:
        return "critical"
    return "ordered" if chi1 < 1.0 else "chaotic"


@dataclass(frozen=True)
class OrderedEdges:
    """The upper edge in σ_w² of the ordered phase, per σ_b² (NaN where there is none).

    `chi_1` is χ₁ just inside the ordered phase. Where it reaches 1 the edge is the
    order-to-chaos critical line; where it stays below 1 the ordered phase ends because
    the fixed point reached from q⁰ jumps (to q* = ∞: GELU, SiLU at σ_b² = 0).
    """

    sigma_b2: np.ndarray
    sigma_w2: np.ndarray
    chi_1: np.ndarray

    @property
    def critical(self) -> np.ndarray:
        """True where the edge is an order-to-chaos transition (χ₁ → 1)."""
        return np.abs(self.chi_1 - 1.0) <= CRITICAL_TOLERANCE


def ordered_edges(activation: ActivationLike, sigma_b2: float | np.ndarray) -> OrderedEdges:
    """For each σ_b², the σ_w² where the ordered phase {q* finite, χ₁ < 1} ends.

    σ_w² is scanned geometrically over [SIGMA_W2_MIN, SIGMA_W2_MAX] (vectorised over σ_b²),
    then the first crossing is refined by Illinois false position on χ₁ − 1 in log σ_w²
    (bisection where an end is unbounded) to 1e-12 relative.
    """
    act = scalar_activation(activation)
    sb = np.atleast_1d(np.asarray(sigma_b2, dtype=np.float64)).ravel()
    _check_sigmas(np.ones_like(sb), sb)

    def excess(sw: np.ndarray, sbs: np.ndarray) -> np.ndarray:
        # χ₁ − 1 where q* is finite. Where the variance is unbounded (not ordered), χ₁ − 1 at
        # the largest q reached when that is positive (ReLU: σ_w²/2 − 1 at every q, which
        # keeps false position fast), else +inf (bisection).
        fixed = variance_fixed_points(act, sw, sbs, verify=False)
        beyond = fixed.escape_chi_1 - 1.0
        beyond = np.where(np.isfinite(beyond) & (beyond > 0), beyond, np.inf)
        return np.where(fixed.bounded, fixed.chi_1 - 1.0, beyond)

    scan = np.geomspace(SIGMA_W2_MIN, SIGMA_W2_MAX, 49)
    grid_sw = np.repeat(scan[None, :], sb.shape[0], axis=0)
    grid_sb = np.repeat(sb[:, None], scan.shape[0], axis=1)
    h = excess(grid_sw.ravel(), grid_sb.ravel()).reshape(grid_sw.shape)
    # The first σ_w² (from below) that is not ordered; the one before it is ordered.
    first_out = np.argmax(h >= 0, axis=1)
    has_edge = (h >= 0).any(axis=1) & (first_out > 0) & (h[:, 0] < 0)
    index = np.arange(sb.shape[0])
    before = np.maximum(first_out - 1, 0)
    lo = np.where(has_edge, scan[before], np.nan)
    hi = np.where(has_edge, scan[first_out], np.nan)
    h_lo = np.where(has_edge, h[index, before], np.nan)
    h_hi = np.where(has_edge, h[index, first_out], np.nan)
    rows = np.flatnonzero(has_edge)
    side = np.zeros(sb.shape[0], dtype=int)
    edge = np.full(sb.shape[0], np.nan)
    for _ in range(200):
        if not rows.size:
            break
        a, b = np.log(lo[rows]), np.log(hi[rows])
        fa, fb = h_lo[rows], h_hi[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            secant = b - fb * (b - a) / (fb - fa)
        usable = np.isfinite(secant) & (secant > a) & (secant < b)
        mid = np.exp(np.where(usable, secant, (a + b) / 2))
        hm = excess(mid, sb[rows])
        below = hm < 0
        lo[rows] = np.where(below, mid, lo[rows])
        hi[rows] = np.where(below, hi[rows], mid)
        # Illinois: halve the value kept at an end that survives twice in a row.
        stale_hi = below & (side[rows] == -1)
        stale_lo = ~below & (side[rows] == 1)
        h_lo[rows] = np.where(below, hm, np.where(stale_lo, h_lo[rows] / 2, h_lo[rows]))
        h_hi[rows] = np.where(below, np.where(stale_hi, h_hi[rows] / 2, h_hi[rows]), hm)
        side[rows] = np.where(below, -1, 1)
        hit = np.abs(hm) <= 1e-13
        edge[rows[hit]] = mid[hit]
        rows = rows[~(hit | (hi[rows] - lo[rows] <= 1e-12 * hi[rows]))]
    edge = np.where(np.isnan(edge) & has_edge, np.sqrt(lo * hi), edge)
    chi = np.full(sb.shape[0], np.nan)
    if np.any(has_edge):
        inside = np.minimum(lo, edge)
        chi[has_edge] = variance_fixed_points(act, inside[has_edge], sb[has_edge]).chi_1
    return OrderedEdges(sb, edge, chi)


def critical_sigma_w2s(activation: ActivationLike, sigma_b2: float | np.ndarray
                       ) -> np.ndarray:
    """The order-to-chaos line: for each σ_b², the σ_w² where χ₁ = 1 (NaN where none)."""
    edges = ordered_edges(activation, sigma_b2)
    return np.where(edges.critical, edges.sigma_w2, np.nan)


_edge_cache: dict[tuple, tuple[float, float]] = {}


def ordered_edge(activation: ActivationLike, sigma_b2: float = 0.0) -> tuple[float, float]:
    """(σ_w² at the edge of the ordered phase, χ₁ just inside it) for one σ_b² (NaN: none)."""
    act = scalar_activation(activation)
    key = (act.key, float(sigma_b2))
    if key not in _edge_cache:
        # A spec and its parameter values fix the answer: cache it for repeated questions.
        edges = ordered_edges(act, sigma_b2)
        _edge_cache[key] = (float(edges.sigma_w2[0]), float(edges.chi_1[0]))
    return _edge_cache[key]


def critical_sigma_w2(activation: ActivationLike, sigma_b2: float = 0.0) -> float | None:
    """σ_w² on the order-to-chaos line (χ₁ = 1) for this σ_b² (None if χ₁ never reaches 1)."""
    sigma_w2, chi = ordered_edge(activation, sigma_b2)
    return sigma_w2 if abs(chi - 1.0) <= CRITICAL_TOLERANCE else None


@dataclass(frozen=True)
class MeanFieldPoint:
    """Everything mean-field theory says about one activation at one (σ_w², σ_b²)."""

    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float
    chi_1: float
    chi_q: float
    """dq^l/dq^{l-1} at q*"""
    xi_q: float
    c_star: float
    chi_c: float
    xi_c: float
    phase: str
    critical_sigma_w2: float | None
    """σ_w² on the order-to-chaos line at this σ_b² (None: χ₁ never reaches 1)"""
    ordered_edge_sigma_w2: float
    """σ_w² where the ordered phase ends at this σ_b² (NaN: it never does)"""

    def as_dict(self) -> dict[str, float | str | None]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def mean_field_point(activation: ActivationLike, sigma_w2: float, sigma_b2: float = 0.0
                     ) -> MeanFieldPoint:
    """q*, χ₁, ξ_q, c*, χ_c, ξ_c, the phase and the critical σ_w² at (σ_w², σ_b²)."""
    act = scalar_activation(activation)
    fixed = variance_fixed_points(act, sigma_w2, sigma_b2)
    q_star, chi1, slope = float(fixed.q_star[0]), float(fixed.chi_1[0]), float(fixed.slope[0])
    correlation = correlation_fixed_point(act, sigma_w2, sigma_b2, q_star, chi1)
    return MeanFieldPoint(
        activation=act.label, sigma_w2=float(sigma_w2), sigma_b2=float(sigma_b2),
        q_star=q_star, chi_1=chi1, chi_q=slope, xi_q=depth_scale(slope),
        c_star=correlation.c_star, chi_c=correlation.chi_c, xi_c=depth_scale(correlation.chi_c),
        phase=classify_phase(chi1, q_star), critical_sigma_w2=critical_sigma_w2(act, sigma_b2),
        ordered_edge_sigma_w2=ordered_edge(act, sigma_b2)[0])


__all__ = [
    "CorrelationFixedPoint", "DivergentExpectationError", "MeanFieldPoint", "OrderedEdges",
    "PHASES", "ordered_edge", "ordered_edges",
    "VarianceFixedPoints", "chi_1", "classify_phase", "correlation_fixed_point",
    "correlation_map", "critical_sigma_w2", "critical_sigma_w2s", "depth_scale",
    "mean_field_point", "variance_fixed_point", "variance_fixed_points", "variance_map",
]
