"""Vector and gated activations as what they are: a vector in, a vector out, as bars.

Softmax's default examples are seed 004's: [1, 2, 3, 4, 1, 2, 3] gives
[0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175], most weight where the 4 was, and the
same input scaled by 0.1 gives [0.125, 0.138, 0.153, 0.169, ...]: softmax is not scale
invariant. Gated functions show the two halves a and b of their input, then a ⊗ gate(b).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from actlab.report.curves import PlottedFunction, plotted_functions
from actlab.report.formula import title_text
from actlab.report.plot_options import PlotOptionError, check_inputs
from actlab.report.style import TEXT_COLOR, line_style, new_figure, style_axes

#: Seed 004's worked softmax example, and the same vector scaled by 0.1.
SEED_004_INPUTS = ((1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0),
                   (0.1, 0.2, 0.3, 0.4, 0.1, 0.2, 0.3))

#: Gated example: a is seed 004's vector, b sweeps the gate from closed to open.
GATED_INPUT = (1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)

INPUT_COLOR = "#8a9099"
GATE_COLOR = "#b8860b"
MAX_BAR_LABELS = 16


def default_inputs(function: PlottedFunction) -> list[np.ndarray]:
    """The example vectors a vector or gated function is shown with."""
    if function.spec.kind == "gated":
        return [np.array(GATED_INPUT)]
    return [np.array(v) for v in SEED_004_INPUTS]


def _input_list(inputs: Any) -> list[np.ndarray] | None:
    """None, one vector, or several vectors, as a list of checked vectors."""
    if inputs is None:
        return None
    items = list(inputs)
    if items and all(isinstance(v, (Sequence, np.ndarray)) and not isinstance(v, str)
                     for v in items):
        return [check_inputs(v) for v in items]
    return [check_inputs(items)]


def _value_text(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


def _bars(ax: Axes, values: np.ndarray, color: str, label: str, *, offset: float = 0.0,
          width: float = 0.8, fmt: str = ".3f") -> None:
    positions = np.arange(1, len(values) + 1) + offset
    container = ax.bar(positions, values, width=width, color=color, label=label,
                       edgecolor="white", linewidth=0.5)
    if len(values) <= MAX_BAR_LABELS:
        ax.bar_label(container, labels=[format(v, fmt) for v in values], fontsize=7,
                     padding=2, color=TEXT_COLOR)
    ax.set_xticks(np.arange(1, len(values) + 1))
    ax.margins(y=0.18)


def _draw_vector_row(axes: Sequence[Axes], function: PlottedFunction, x: np.ndarray,
                     index: int) -> None:
    inp, out = axes
    y = function.vector_values(x)
    style = line_style(index)
    _bars(inp, x, INPUT_COLOR, "input", fmt="g")
    _bars(out, y, style.color, "output")
    inp.set_title(f"input x ({len(x)} values)", fontsize=10, color=TEXT_COLOR)
    # A probability vector (softmax, sparsemax) says so: its entries sum to 1.
    total = f"   sum = {y.sum():.3f}" if function.spec.properties.output_range == (0, 1) else ""
    out.set_title(f"{function.label}(x){total}", fontsize=10, color=TEXT_COLOR)
    inp.set_xlabel("component $i$")
    out.set_xlabel("component $i$")


def _draw_gated_row(axes: Sequence[Axes], function: PlottedFunction, x: np.ndarray,
                    index: int) -> None:
    inp, out = axes
    if len(x) % 2:
        raise PlotOptionError(f"{function.label} splits its input in two halves: give an even "
                              f"number of inputs, got {len(x)}")
    half = len(x) // 2
    a, b = x[:half], x[half:]
    y = function.vector_values(x)
    style = line_style(index)
    _bars(inp, a, INPUT_COLOR, "a (first half)", offset=-0.2, width=0.4, fmt="g")
    _bars(inp, b, GATE_COLOR, "b (second half, gate input)", offset=0.2, width=0.4, fmt="g")
    inp.legend(fontsize=8, loc="upper left")
    _bars(out, y, style.color, "output")
    inp.set_title(f"input halves a, b ({len(x)} values)", fontsize=10, color=TEXT_COLOR)
    out.set_title(f"{function.label}(x) = a ⊗ gate(b)", fontsize=10, color=TEXT_COLOR)
    inp.set_xlabel("component $i$ of each half")
    out.set_xlabel("component $i$")


def plot_vector_activations(names: str | Iterable[Any], *, inputs: Any = None,
                            figure: Figure | None = None) -> Figure:
    """Input and output of vector (softmax) and gated (GLU) activations as paired bars.

    inputs: one vector, or several, used for every function; by default seed 004's
    softmax examples for vector functions and GATED_INPUT for gated ones.
    """
    functions = plotted_functions(names)
    elementwise = [f for f in functions if f.elementwise]
    if elementwise:
        raise PlotOptionError(f"{elementwise[0].label} is elementwise: plot it as a curve "
                              f"(plot_activations)")
    given = _input_list(inputs)
    rows = [(f, x) for f in functions for x in (given or default_inputs(f))]
    fig = new_figure(10.0, 2.9 * len(rows) + 0.5, figure)
    grid = fig.subplots(len(rows), 2, squeeze=False)
    previous = None
    for row, (function, x) in enumerate(rows):
        axes = grid[row]
        for ax in axes:
            style_axes(ax)
            ax.grid(axis="x", visible=False)
        draw = _draw_gated_row if function.spec.kind == "gated" else _draw_vector_row
        draw(axes, function, x, functions.index(function))
        if function is not previous:
            axes[0].set_ylabel(function.label, fontsize=11, color=TEXT_COLOR)
        previous = function
    if len(functions) == 1:
        fig.suptitle(title_text(functions[0].label, functions[0].spec.latex), fontsize=12,
                     color=TEXT_COLOR)
    return fig


def vector_example_text(function: PlottedFunction, x: np.ndarray) -> str:
    """The example as text: ``softmax([1, 2, 3]) = [0.090, 0.245, 0.665]``."""
    inputs = ", ".join(f"{v:g}" for v in x)
    return f"{function.label}([{inputs}]) = {_value_text(function.vector_values(x))}"
