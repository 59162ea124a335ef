"""Reading plotted data back from matplotlib figures (what a reader of the plot sees)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D


def line(ax: Axes, label: str) -> Line2D:
    """The one line of `ax` with this legend label."""
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, f"{label!r} among {[ln.get_label() for ln in ax.get_lines()]}"
    return found[0]


def finite_xy(line_: Line2D) -> tuple[np.ndarray, np.ndarray]:
    """The line's points without the NaN breaks at jumps."""
    xy = np.asarray(line_.get_xydata(), dtype=np.float64)
    keep = np.isfinite(xy[:, 1])
    return xy[keep, 0], xy[keep, 1]


def legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, "the axes has no legend"
    return [t.get_text() for t in legend.get_texts()]
