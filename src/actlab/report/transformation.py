"""Seed 001's view: points on y = x, and what each activation turns them into.

Seed 001 sends x = -3, -2.5, ..., 3 through one activation layer at a time and plots
the outputs over the inputs. Softmax of a single number is always 1, so the seed
applies softmax to the whole vector at once; vector functions here do the same, and
their legend says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from matplotlib.figure import Figure

from actlab.report.curves import SEED_001_INPUTS, plotted_functions
from actlab.report.plot_options import PlotOptionError, check_inputs
from actlab.report.style import TEXT_COLOR, line_style, new_figure, style_axes

#: The activations of seed 001, in its order, with its custom x².
SEED_001_ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu(0.5)", "softmax", "x**2")

INPUT_LABEL = "y = x (inputs)"
WHOLE_VECTOR = "over the whole vector"


def plot_transformation(names: str | Iterable[Any] = SEED_001_ACTIVATIONS, *,
                        inputs: Sequence[float] | None = None,
                        figure: Figure | None = None) -> Figure:
    """The inputs as points on y = x and each activation's outputs, on one plot.

    inputs: the x values (default seed 001's np.arange(-3, 3.5, 0.5)). Elementwise
    functions are applied to each x; vector functions (softmax) to the whole vector,
    as seed 001 does. Gated functions halve their input and have no place here.
    """
    x = SEED_001_INPUTS.copy() if inputs is None else check_inputs(inputs)
    functions = plotted_functions(names)
    gated = [f for f in functions if f.spec.kind == "gated"]
    if gated:
        raise PlotOptionError(
            f"{gated[0].label} is gated: it splits its input in two halves and returns half "
            f"as many values, so it cannot be drawn over the same inputs; plot it on its own")
    fig = new_figure(9.0, 5.0, figure)
    ax = fig.subplots()
    style_axes(ax)
    ax.plot(x, x, "o", color="#3b4650", markersize=6, label=INPUT_LABEL, zorder=3)
    for index, function in enumerate(functions):
        style = line_style(index)
        if function.elementwise:
            y, label = function.values(x), function.label
        else:
            y, label = function.vector_values(x), f"{function.label} ({WHOLE_VECTOR})"
        ax.plot(x, y, linestyle=style.linestyle, marker=style.marker, markersize=4,
                color=style.color, linewidth=1.8, label=label)
    ax.set_xlabel("input $x$", color=TEXT_COLOR)
    ax.set_ylabel("output", color=TEXT_COLOR)
    ax.set_title("How activations transform the points of y = x", fontsize=12,
                 color=TEXT_COLOR)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    return fig

