"""Figures for the theory: a mean-field phase diagram, and signal propagation by layer.

Lines carry labels (``"selu (simulation)"``, ``"selu (theory)"``, ``"order-to-chaos line
(χ₁ = 1)"``) so a reader, and a test, can find them in the figure's legend and data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure

from actlab.analysis.mean_field import CRITICAL_TOLERANCE
from actlab.analysis.phase_diagram import PhaseDiagram
from actlab.analysis.propagation import PropagationResult
from actlab.report.style import COLORS

CRITICAL_LINE_LABEL = "order-to-chaos line (χ₁ = 1)"
EDGE_LINE_LABEL = "ordered phase ends (q* jumps, χ₁ < 1)"

#: The panels of the propagation figure: statistic, axis title, log scale.
PROPAGATION_PANELS = (
    ("post_mean", "mean of φ(h^l)", False),
    ("post_variance", "variance of φ(h^l)", True),
    ("correlation", "correlation of two inputs c^l", False),
    ("grad_norm", "gradient norm ‖∂L/∂h^l‖", True),
)


def phase_diagram_figure(diagram: PhaseDiagram,
                         point: tuple[float, float] | None = None) -> Figure:
    """χ₁ as a colour map over (σ_w², σ_b²) with the critical line and labelled phases."""
    figure = Figure(figsize=(7.5, 5.2), layout="constrained")
    ax = figure.add_subplot()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_chi = np.log10(diagram.chi_1)
    finite = log_chi[np.isfinite(log_chi)]
    low = min(-0.05, float(finite.min())) if finite.size else -1.0
    high = max(0.05, float(finite.max())) if finite.size else 1.0
    # White at χ₁ = 1, each side with its own full range: the chaotic side is often shallow.
    norm = TwoSlopeNorm(0.0, low, high) if low < 0 < high else Normalize(low, high)
    cmap = colormaps["RdBu_r"].with_extremes(bad="#bbbbbb")
    mesh = ax.pcolormesh(diagram.sigma_w2, diagram.sigma_b2, np.ma.masked_invalid(log_chi),
                         cmap=cmap, norm=norm, shading="nearest")
    bar = figure.colorbar(mesh, ax=ax, label="log₁₀ χ₁  (blue: ordered, red: chaotic)")
    if low < 0 < high:
        # A two-slope norm leaves matplotlib's ticks on one side only: put some on each.
        bar.set_ticks(np.concatenate([np.linspace(low, 0, 5), np.linspace(0, high, 5)[1:]]))
        bar.ax.yaxis.set_major_formatter("{x:.2f}")
    critical = diagram.edge_critical & np.isfinite(diagram.edge_sigma_w2)
    edge = ~diagram.edge_critical & np.isfinite(diagram.edge_sigma_w2)
    if critical.any():
        ax.plot(diagram.edge_sigma_w2[critical], diagram.edge_sigma_b2[critical], color="black",
                lw=2.0, label=CRITICAL_LINE_LABEL)
    if edge.any():
        ax.plot(diagram.edge_sigma_w2[edge], diagram.edge_sigma_b2[edge], color="black",
                lw=1.5, ls="--", label=EDGE_LINE_LABEL)
    grid_sw, grid_sb = np.meshgrid(diagram.sigma_w2, diagram.sigma_b2)
    regions = (
        ("ordered\n(χ₁ < 1)", diagram.chi_1 < 1 - CRITICAL_TOLERANCE),
        ("chaotic\n(χ₁ > 1)", diagram.chi_1 > 1 + CRITICAL_TOLERANCE),
        ("unbounded\nvariance", ~np.isfinite(diagram.q_star)),
    )
    for text, mask in regions:
        if mask.sum() >= 3:
            ax.text(float(np.median(grid_sw[mask])), float(np.median(grid_sb[mask])), text,
                    ha="center", va="center", fontsize=11, weight="bold",
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none"})
    if point is not None:
        ax.plot([point[0]], [point[1]], marker="*", ms=14, color="gold", mec="black",
                ls="none", label=f"σ_w² = {point[0]:.4g}, σ_b² = {point[1]:.4g}")
    ax.set_xlim(0, float(diagram.sigma_w2[-1]))
    ax.set_ylim(float(diagram.sigma_b2[0]), float(diagram.sigma_b2[-1]))
    ax.set_xlabel("σ_w²  (weights N(0, σ_w²/fan_in))")
    ax.set_ylabel("σ_b²  (biases N(0, σ_b²))")
    ax.set_title(f"{diagram.activation}: mean-field phase diagram (Poole et al. 2016)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=9)
    return figure


def _band(ax: Axes, layers: np.ndarray, values: np.ndarray, color: str) -> None:
    if values.shape[0] > 1:
        ax.fill_between(layers, values.min(axis=0), values.max(axis=0), color=color,
                        alpha=0.2, lw=0)


def propagation_figure(results: Sequence[PropagationResult]) -> Figure:
    """Mean, variance, correlation and gradient norm by layer: simulation and theory."""
    figure = Figure(figsize=(12, 8.5), layout="constrained")
    axes = figure.subplots(2, 2, sharex=True).ravel()
    inits = {r.init.label for r in results}
    # One shared initialisation goes in the title; otherwise each legend entry names its own.
    suffix = {r.activation: "" if len(inits) == 1 else f", σ_w² = {r.init.sigma_w2:.3g}"
              for r in results}
    for ax, (name, title, log) in zip(axes, PROPAGATION_PANELS, strict=True):
        for index, result in enumerate(results):
            color = COLORS[index % len(COLORS)]
            layers = np.arange(1, result.setup.depth + 1)
            simulated = getattr(result.simulation, name)
            _band(ax, layers, simulated, color)
            ax.plot(layers, result.simulation_mean(name), color=color, marker="o", ms=3,
                    lw=1.5, label=f"{result.activation}{suffix[result.activation]} (simulation)")
            ax.plot(layers, getattr(result.theory, name), color=color, ls="--", lw=1.5,
                    label=f"{result.activation}{suffix[result.activation]} (theory)")
        if log:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("layer l")
        ax.grid(alpha=0.3)
    first = results[0]
    setup = first.setup
    dropout = f", AlphaDropout p = {setup.alpha_dropout:g}" if setup.alpha_dropout else ""
    init = f"init {next(iter(inits))}, " if len(inits) == 1 else ""
    figure.suptitle(f"Signal propagation: {init}depth {setup.depth}, width {setup.width}, "
                    f"{len(setup.seeds)} seed(s){dropout}; theory dashed")
    axes[0].legend(fontsize=8, ncol=2)
    return figure
