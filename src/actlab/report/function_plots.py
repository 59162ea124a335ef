"""Plots of activations and their derivatives: f, f′ and f″ side by side, kinks marked.

>>> fig = plot_activations(["relu", "leaky_relu(0.5)", "x*sigmoid(1.702*x)"],
...                        derivatives=True, x_range=(-4, 4))
>>> fig.savefig("relus.png")

Figures are built outside pyplot (no global state, no display needed): a notebook
shows the returned figure as the cell's value; a script saves it, or passes
``figure=plt.figure()`` to draw into a pyplot figure and then calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from actlab.report.curves import (
    Curve,
    NotElementwiseError,
    plotted_functions,
    split_kinds,
)
from actlab.report.formula import title_text
from actlab.report.plot_options import PlotOptionError, check_points, check_range
from actlab.report.style import TEXT_COLOR, LineStyle, line_style, new_figure, style_axes

PANEL_TITLES = ("$f(x)$", "first derivative $f\\,'(x)$", "second derivative $f\\,''(x)$")
AXIS_LABELS = ("$f(x)$", "$f\\,'(x)$", "$f\\,''(x)$")


def derivative_order(derivatives: bool | int) -> int:
    """The highest derivative to draw: False/0 none, 1 f′, True/2 f′ and f″."""
    if derivatives is True:
        return 2
    if derivatives is False or derivatives is None:
        return 0
    if isinstance(derivatives, (int, np.integer)) and 0 <= derivatives <= 2:
        return int(derivatives)
    raise PlotOptionError(f"derivatives must be True, False, 0, 1 or 2, got {derivatives!r}")


def draw_curve(ax: Axes, curve: Curve, style: LineStyle, label: str, *,
               mark_kinks: bool = True, linewidth: float = 2.0) -> None:
    """One sampled curve; at each jump, open circles at the limits, a dot at the value."""
    ax.plot(curve.x, curve.y, color=style.color, linestyle=style.linestyle,
            linewidth=linewidth, label=label, solid_capstyle="round")
    if mark_kinks and curve.jumps:
        limits_x = [j.x for j in curve.jumps for _ in (0, 1)]
        limits_y = [v for j in curve.jumps for v in (j.left, j.right)]
        ax.scatter(limits_x, limits_y, s=30, facecolors="white", edgecolors=style.color,
                   linewidths=1.5, zorder=3)
        ax.scatter([j.x for j in curve.jumps], [j.value for j in curve.jumps], s=30,
                   color=style.color, zorder=4)


def mark_kink_lines(ax: Axes, kinks: Sequence[float], style: LineStyle) -> None:
    """Dashed verticals where the function's smoothness drops."""
    if kinks:
        ax.add_collection(LineCollection([[(k, 0), (k, 1)] for k in kinks], colors=style.color,
                                         linestyles=(0, (3, 3)), linewidths=0.9, alpha=0.45,
                                         transform=ax.get_xaxis_transform(), zorder=1.6),
                          autolim=False)


def plot_activations(names: str | Iterable[Any], *, x_range: Sequence[float] = (-5.0, 5.0),
                     points: int = 1001, derivatives: bool | int = False,
                     mark_kinks: bool = True, figure: Figure | None = None) -> Figure:
    """Activations over x_range, with their first and second derivatives in side panels.

    names: catalog names in any spelling (``"keras:leaky_relu"``, ``"leaky_relu(0.5)"``,
    ``"leaky_relu:negative_slope=0.5"``) or formulas (``"x*sigmoid(1.702*x)"``).
    derivatives: False, 1 (add f′) or True/2 (add f′ and f″), from the catalog's
    analytic derivatives. mark_kinks: dashed lines where smoothness drops, open and
    filled circles where a curve jumps (the filled one is the catalog's value there).
    """
    low, high = check_range(x_range)
    count = check_points(points)
    order = derivative_order(derivatives)
    functions = plotted_functions(names)
    _, others = split_kinds(functions)
    if others:
        raise NotElementwiseError(
            f"{others[0].label} is a {others[0].spec.kind} function (a vector in, a vector "
            f"out) with no curve y = f(x); plot it apart, as bars (plot_vector_activations), "
            f"or in the transformation view")
    grid = np.linspace(low, high, count)
    panels = order + 1
    fig = new_figure(4.6 * panels + 0.4, 4.0, figure)
    axes = fig.subplots(1, panels, squeeze=False)[0]
    for panel, ax in enumerate(axes):
        style_axes(ax)
        for index, function in enumerate(functions):
            style = line_style(index)
            draw_curve(ax, function.curve(grid, panel), style, function.label,
                       mark_kinks=mark_kinks)
            if mark_kinks:
                mark_kink_lines(ax, function.kinks(low, high), style)
        ax.set_xlim(low, high)
        ax.set_xlabel("$x$", color=TEXT_COLOR)
        ax.set_ylabel(AXIS_LABELS[panel], color=TEXT_COLOR)
        if panels > 1:
            ax.set_title(PANEL_TITLES[panel], fontsize=10, color=TEXT_COLOR)
    if len(functions) == 1:
        only = functions[0]
        fig.suptitle(title_text(only.label, only.spec.latex), fontsize=12, color=TEXT_COLOR)
    else:
        axes[0].legend(loc="best", fontsize=9, framealpha=0.9)
        fig.suptitle(", ".join(f.label for f in functions), fontsize=12, color=TEXT_COLOR)
    return fig


def plot(names: str | Iterable[Any], *, x_range: Sequence[float] = (-5.0, 5.0),
         points: int = 1001, derivatives: bool | int = False, mark_kinks: bool = True,
         inputs: Sequence[float] | None = None, figure: Figure | None = None) -> Figure:
    """Curves for elementwise activations, input/output bars for vector and gated ones."""
    from actlab.report.vector_plots import plot_vector_activations

    functions = plotted_functions(names)
    elementwise, others = split_kinds(functions)
    if elementwise and others:
        raise PlotOptionError(
            f"cannot draw {others[0].label} (a {others[0].spec.kind} function: a vector in, a "
            f"vector out) as a curve beside {elementwise[0].label}; plot them separately, or "
            f"use the transformation view to compare them on one vector")
    if others:
        check_range(x_range)
        check_points(points)
        return plot_vector_activations(others, inputs=inputs, figure=figure)
    return plot_activations(elementwise, x_range=x_range, points=points,
                            derivatives=derivatives, mark_kinks=mark_kinks, figure=figure)
