"""The gallery's small plots, drawn from sampled data only: one card each, and the grid.

Everything here is matplotlib and NumPy on data sampled beforehand (`SmallPlotData`),
so the gallery can draw in worker processes that never evaluate an activation.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from actlab.report.curves import Curve
from actlab.report.function_plots import draw_curve, mark_kink_lines
from actlab.report.style import COLORS, TEXT_COLOR, LineStyle, style_axes

F_STYLE = LineStyle(COLORS[0], "-", "o")
DERIVATIVE_STYLE = LineStyle(COLORS[1], "--", "s")
INPUT_COLOR = "#9aa3ad"
GATE_COLOR = "#c9a227"


@dataclass(frozen=True)
class SmallPlotData:
    """What one small plot shows: f and f′ curves, or named bars for vector functions."""

    name: str
    kind: str
    x_range: tuple[float, float] = (-4.0, 4.0)
    curves: tuple[Curve, ...] = ()
    kinks: tuple[float, ...] = ()
    bars: tuple[tuple[str, np.ndarray], ...] = ()


def draw_small(ax: Axes, data: SmallPlotData, *, legend: bool = True,
               fontsize: float = 7.0, ticks: int = 5) -> None:
    """f (solid) and f′ (dashed) for elementwise functions; grouped bars otherwise."""
    style_axes(ax)
    ax.tick_params(labelsize=fontsize)
    # Few ticks: they are most of the drawing time, and a small plot needs only a scale.
    ax.yaxis.set_major_locator(MaxNLocator(ticks))
    if data.bars:
        _draw_bars(ax, data, legend=legend, fontsize=fontsize)
        return
    for curve, style, label in zip(data.curves, (F_STYLE, DERIVATIVE_STYLE),
                                   ("f", "f′"), strict=False):
        draw_curve(ax, curve, style, label, linewidth=1.6 if style is F_STYLE else 1.2)
    mark_kink_lines(ax, data.kinks, LineStyle("#6b7280", ":", ""))
    ax.set_xlim(*data.x_range)
    ax.xaxis.set_major_locator(MaxNLocator(ticks))
    if legend:
        ax.legend(fontsize=fontsize, loc="best", framealpha=0.85, handlelength=1.8)


def _draw_bars(ax: Axes, data: SmallPlotData, *, legend: bool, fontsize: float) -> None:
    colors = {"input": INPUT_COLOR, "a": INPUT_COLOR, "b": GATE_COLOR}
    count = len(data.bars)
    width = 0.8 / count
    for index, (label, values) in enumerate(data.bars):
        positions = np.arange(1, len(values) + 1) + (index - (count - 1) / 2) * width
        ax.bar(positions, values, width=width, label=label,
               color=colors.get(label.split()[0], COLORS[0]), edgecolor="white", linewidth=0.4)
    ax.set_xticks(np.arange(1, max(len(v) for _, v in data.bars) + 1))
    ax.grid(axis="x", visible=False)
    if legend:
        ax.legend(fontsize=fontsize, loc="upper left", framealpha=0.85)


def inline_svg(figure: Figure, prefix: str) -> str:
    """The figure as a compact <svg> element for an HTML page, its ids prefixed with `prefix`."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "actlab"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # Inside a page, an SVG's <style> applies to the whole document: scope it to plots.
    svg = svg.replace("<style type=\"text/css\">*{", "<style type=\"text/css\">svg.plot *{")
    svg = re.sub(r"font-family: [^;\"]*sans-serif", "font-family: 'DejaVu Sans', sans-serif", svg)
    # Only ids that something points to are kept, prefixed: several SVGs share one page.
    referenced = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'href="#([^"]+)"', svg))
    svg = re.sub(r' id="([^"]+)"',
                 lambda m: f' id="{prefix}-{m[1]}"' if m[1] in referenced else "", svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    svg = re.sub(r"(\d+\.\d\d)\d+", r"\1", svg)
    svg = re.sub(r"\s*\n\s*", " ", svg)
    svg = re.sub(r"<g>\s*(<use [^>]*/>)\s*</g>", r"\1", svg)
    svg = re.sub(r"<svg([^>]*?) width=\"[^\"]+\" height=\"[^\"]+\"",
                 r'<svg\1 class="plot" role="img"', svg, count=1)
    return svg.strip()


def card_svg(data: SmallPlotData) -> str:
    """The small plot of one gallery card, as inline SVG."""
    fig = Figure(figsize=(3.6, 2.3))
    ax = fig.add_axes((0.12, 0.13, 0.85, 0.83))
    draw_small(ax, data)
    return inline_svg(fig, f"plot-{data.name}")


def grid_png(datas: Sequence[SmallPlotData], *, columns: int = 8, dpi: int = 110) -> bytes:
    """Every function in one PNG: a small panel each, titled with its name."""
    rows = max(1, -(-len(datas) // columns))
    height = 1.9 * rows + 0.9
    fig = Figure(figsize=(2.3 * columns, height))
    fig.subplots_adjust(left=0.025, right=0.99, bottom=0.02, top=1 - 0.8 / height,
                        wspace=0.28, hspace=0.55)
    cells = fig.add_gridspec(rows, columns)
    for index, data in enumerate(datas):
        ax = fig.add_subplot(cells[index // columns, index % columns])
        draw_small(ax, data, legend=False, fontsize=6, ticks=4)
        ax.set_title(data.name, fontsize=8.5, color=TEXT_COLOR, pad=3)
    fig.suptitle(f"actlab: {len(datas)} activations — f solid, f′ dashed; bars: input grey, "
                 f"output blue", fontsize=12, color=TEXT_COLOR, y=1 - 0.25 / height)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
