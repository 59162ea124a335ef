"""χ₁ over a grid of (σ_w², σ_b²), with the edge of the ordered phase: data for a phase diagram."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from actlab.analysis.errors import TheoryOptionError
from actlab.analysis.mean_field import ordered_edge, ordered_edges, variance_fixed_points
from actlab.analysis.scalar_activation import ActivationLike, scalar_activation


@dataclass(frozen=True)
class PhaseDiagram:
    """χ₁ and q* on a (σ_b², σ_w²) grid, and the ordered phase's edge σ_w²(σ_b²)."""

    activation: str
    sigma_w2: np.ndarray
    """grid columns"""
    sigma_b2: np.ndarray
    """grid rows"""
    chi_1: np.ndarray
    """(rows, columns); NaN where the variance is unbounded"""
    q_star: np.ndarray
    """(rows, columns); inf where the variance is unbounded"""
    edge_sigma_b2: np.ndarray
    edge_sigma_w2: np.ndarray
    """σ_w² at the edge of the ordered phase for each edge_sigma_b2 (NaN: none)"""
    edge_critical: np.ndarray
    """True where that edge is the order-to-chaos line (χ₁ → 1)"""


def _default_sigma_w2_max(activation: ActivationLike) -> float:
    edge, _ = ordered_edge(activation, 0.0)
    return max(4.0, 2.0 * edge) if math.isfinite(edge) else 4.0


def phase_diagram(activation: ActivationLike, *, sigma_w2_max: float | None = None,
                  sigma_b2_max: float = 0.5, columns: int = 41, rows: int = 26,
                  edge_points: int = 26) -> PhaseDiagram:
    """χ₁(σ_w², σ_b²) on σ_w² ∈ (0, max] × σ_b² ∈ [0, max], plus the edge line.

    The default σ_w² range reaches twice the edge at σ_b² = 0 (at least 4), so the line
    is in view for sigmoid (≈ 103) as for tanh (1).
    """
    act = scalar_activation(activation)
    if sigma_w2_max is None:
        sigma_w2_max = _default_sigma_w2_max(act)
    if not (math.isfinite(sigma_w2_max) and sigma_w2_max > 0):
        raise TheoryOptionError(f"the σ_w² range must end at a number > 0, got {sigma_w2_max!r}")
    if not (math.isfinite(sigma_b2_max) and sigma_b2_max >= 0):
        raise TheoryOptionError(f"the σ_b² range must end at a number ≥ 0, got {sigma_b2_max!r}")
    if min(columns, rows, edge_points) < 2:
        raise TheoryOptionError("a phase diagram needs at least 2 points along each axis")
    sw = np.linspace(sigma_w2_max / columns, sigma_w2_max, columns)
    sb = np.linspace(0.0, sigma_b2_max, rows)
    grid_sw, grid_sb = np.meshgrid(sw, sb)
    fixed = variance_fixed_points(act, grid_sw.ravel(), grid_sb.ravel(), verify=False)
    # The line bends most near σ_b² = 0 (tanh: σ_w² from 1 to 1.55 by σ_b² = 0.02), so its
    # points are spaced evenly in σ_b rather than σ_b².
    edge_sb = np.linspace(0.0, math.sqrt(sigma_b2_max), edge_points) ** 2
    edges = ordered_edges(act, edge_sb)
    return PhaseDiagram(
        activation=act.label, sigma_w2=sw, sigma_b2=sb,
        chi_1=fixed.chi_1.reshape(grid_sw.shape), q_star=fixed.q_star.reshape(grid_sw.shape),
        edge_sigma_b2=edge_sb, edge_sigma_w2=edges.sigma_w2, edge_critical=edges.critical)
