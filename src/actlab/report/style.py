"""The look shared by actlab's figures: colours, line styles, grids and zero lines."""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

#: Matplotlib's tab10: ten colours that stay distinct for colour-blind readers.
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")

GRID_COLOR = "#d0d4d9"
AXIS_COLOR = "#8a9099"
TEXT_COLOR = "#1f2933"


@dataclass(frozen=True)
class LineStyle:
    """The colour, dash pattern and marker of the i-th function of a figure."""

    color: str
    linestyle: str
    marker: str


def line_style(index: int) -> LineStyle:
    """Colour and dash change together, so that lines differ even in greyscale."""
    return LineStyle(COLORS[index % len(COLORS)], LINESTYLES[index % len(LINESTYLES)],
                     MARKERS[index % len(MARKERS)])


class NotebookFigure(Figure):
    """A figure outside pyplot that a notebook shows as a PNG, whatever the backend."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


def new_figure(width: float, height: float, figure: Figure | None = None) -> Figure:
    """A figure outside pyplot (no global state, safe in threads), or the one given."""
    if figure is not None:
        return figure
    return NotebookFigure(figsize=(width, height), layout="constrained")


def style_axes(ax: Axes, *, zero_lines: bool = True) -> None:
    """A light grid, quiet spines, and the lines x = 0 and y = 0 drawn a little darker."""
    ax.grid(True, color=GRID_COLOR, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(AXIS_COLOR)
    ax.tick_params(colors=TEXT_COLOR, labelsize=9)
    if zero_lines:
        # Collections, not axhline: the axes' lines stay exactly the plotted curves.
        ax.add_collection(LineCollection([[(0, 0), (1, 0)]], colors=AXIS_COLOR,
                                         linewidths=0.8, transform=ax.get_yaxis_transform(),
                                         zorder=1.5), autolim=False)
        ax.add_collection(LineCollection([[(0, 0), (0, 1)]], colors=AXIS_COLOR,
                                         linewidths=0.8, transform=ax.get_xaxis_transform(),
                                         zorder=1.5), autolim=False)
