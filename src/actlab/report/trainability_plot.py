"""The trainable region measured over (σ_w², depth), drawn over the theory's depth scale ξ_c."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from actlab.report.style import new_figure
from actlab.studies.trainability import PUBLISHED_MULTIPLE, TrainabilityMap

#: The ξ_c curves stop at this many times the deepest grid depth (ξ_c → ∞ at criticality).
CURVE_CLIP = 4.0


def _edges(values: tuple[float, ...]) -> np.ndarray:
    """Cell edges half-way between grid values, the outer cells as wide as their neighbour."""
    v = np.asarray(values, dtype=float)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    middle = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (middle[0] - v[0])], middle, [v[-1] + (v[-1] - middle[-1])]])


def plot_trainability(tmap: TrainabilityMap) -> Figure:
    """Mean test accuracy per (σ_w², depth) cell; ξ_c and 6 ξ_c from mean-field theory;
    the cells counted trainable outlined; the critical σ_w² marked."""
    figure = new_figure(7.2, 4.8)
    ax = figure.subplots()
    x_edges, y_edges = _edges(tmap.sigma_w2), _edges(tmap.depths)
    cmap = colormaps["viridis"].with_extremes(bad="#dddddd")
    mesh = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(tmap.accuracy), cmap=cmap,
                         norm=Normalize(tmap.chance, max(tmap.chance + 1e-6,
                                                         float(np.nanmax(tmap.accuracy)))))
    figure.colorbar(mesh, ax=ax, label="test accuracy (mean over seeds)")
    for i, depth in enumerate(tmap.depths):
        for j, sw in enumerate(tmap.sigma_w2):
            if tmap.seeds[i, j] and tmap.trainable[i, j]:
                ax.add_patch(_cell(x_edges, y_edges, i, j))
            if tmap.seeds[i, j]:
                ax.text(sw, depth, f"{tmap.accuracy[i, j]:.2f}", ha="center", va="center",
                        fontsize=7, color="white" if tmap.accuracy[i, j] < tmap.threshold
                        else "black")
    top = float(y_edges[-1])
    clip = CURVE_CLIP * top
    for multiple, style, label in ((1.0, ":", "ξ_c (theory)"),
                                   (PUBLISHED_MULTIPLE, "--",
                                    f"{PUBLISHED_MULTIPLE:g} ξ_c (Schoenholz et al.: trainable "
                                    f"below)")):
        y = np.where(np.isfinite(tmap.theory_xi_c), multiple * tmap.theory_xi_c, np.nan)
        ax.plot(tmap.theory_sigma_w2, np.minimum(y, clip), color="white", lw=2.2, ls=style)
        ax.plot(tmap.theory_sigma_w2, np.minimum(y, clip), color="crimson", lw=1.3, ls=style,
                label=label)
    if tmap.critical_sigma_w2 is not None:
        ax.axvline(tmap.critical_sigma_w2, color="black", lw=0.8, alpha=0.6,
                   label=f"order-to-chaos σ_w² = {tmap.critical_sigma_w2:.3g}")
    ax.set_xlim(float(x_edges[0]), float(x_edges[-1]))
    ax.set_ylim(float(y_edges[0]), top)
    ax.set_xlabel(f"σ_w²  (σ_b² = {tmap.sigma_b2:g})")
    ax.set_ylabel("depth L (hidden layers)")
    ax.set_title(f"{tmap.label}: trainable cells (outlined: accuracy ≥ {tmap.threshold:.2f})",
                 fontsize=10)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.85)
    return figure


def _cell(x_edges: np.ndarray, y_edges: np.ndarray, i: int, j: int):
    from matplotlib.patches import Rectangle

    return Rectangle((x_edges[j], y_edges[i]), x_edges[j + 1] - x_edges[j],
                     y_edges[i + 1] - y_edges[i], fill=False, edgecolor="white", lw=1.6)
