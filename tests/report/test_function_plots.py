"""Curves read back from the figures against PyTorch, Keras, closed forms and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from plotted_data import finite_xy, legend_texts, line

from actlab.catalog import registry
from actlab.errors import UnknownActivationError
from actlab.report import PlotOptionError, plot, plot_activations
from actlab.report.curves import NotElementwiseError

F64 = torch.float64


def _torch(fn, x: np.ndarray) -> np.ndarray:
    return fn(torch.as_tensor(x, dtype=F64)).numpy()


# Independent references: PyTorch's own functions and float64 closed forms.
REFERENCES = {
    "relu": lambda x: _torch(F.relu, x),
    "elu": lambda x: _torch(F.elu, x),
    "gelu": lambda x: _torch(F.gelu, x),
    "silu": lambda x: _torch(F.silu, x),
    "mish": lambda x: _torch(F.mish, x),
    "softplus": lambda x: _torch(F.softplus, x),
    "hardswish": lambda x: _torch(F.hardswish, x),
    "leaky_relu(0.5)": lambda x: _torch(lambda t: F.leaky_relu(t, 0.5), x),
    "leaky_relu:negative_slope=0.5": lambda x: np.where(x > 0, x, 0.5 * x),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "x*sigmoid(1.702*x)": lambda x: x / (1.0 + np.exp(-1.702 * x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772
                                                    * (np.exp(x) - 1)),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_plotted_curve_matches_an_independent_reference(name):
    fig = plot_activations(name, x_range=(-4, 4), points=801)
    x, y = finite_xy(fig.axes[0].get_lines()[0])
    assert x.min() == -4 and x.max() == 4 and len(x) >= 801
    np.testing.assert_allclose(y, REFERENCES[name](x), rtol=1e-7, atol=1e-9)


def test_keras_flavor_is_plotted_with_keras_numbers():
    from support.frameworks import import_reference

    keras_leaky = import_reference("keras.activations.leaky_relu")
    fig = plot_activations(["keras:leaky_relu", "keras.layers.LeakyReLU"], x_range=(-3, 3),
                           points=61)
    ax = fig.axes[0]
    x, y = finite_xy(line(ax, "keras:leaky_relu (negative_slope=0.2)"))
    expected = np.asarray(keras_leaky(torch.as_tensor(x, dtype=torch.float32)))
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)
    layer = import_reference("keras.layers.LeakyReLU")()
    x, y = finite_xy(line(ax, "keras.layers.LeakyReLU (negative_slope=0.3)"))
    expected = np.asarray(layer(torch.as_tensor(x, dtype=torch.float32)).detach().cpu())
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)


def test_tanh_derivative_panels_match_closed_forms():
    fig = plot_activations("tanh", derivatives=True, x_range=(-3, 3), points=301)
    assert len(fig.axes) == 3
    t = np.tanh
    for ax, expected in zip(fig.axes, (t, lambda x: 1 - t(x) ** 2,
                                       lambda x: -2 * t(x) * (1 - t(x) ** 2)), strict=True):
        x, y = finite_xy(ax.get_lines()[0])
        np.testing.assert_allclose(y, expected(x), rtol=1e-9, atol=1e-12)


def _away_from(x: np.ndarray, kinks, margin: float) -> np.ndarray:
    keep = np.ones_like(x, dtype=bool)
    for k in kinks:
        keep &= np.abs(x - k) > margin
    return keep


def _check_against_finite_differences(lower, upper, kinks, margin):
    """upper ≈ d(lower)/dx: central differences of the plotted lower curve."""
    x, y = finite_xy(lower)
    xu, yu = finite_xy(upper)
    inner = slice(1, -1)
    slope = (y[2:] - y[:-2]) / (x[2:] - x[:-2])
    at = x[inner]
    keep = _away_from(at, kinks, margin)
    expected = np.interp(at[keep], xu, yu)
    scale = 1.0 + np.abs(expected)
    error = np.abs(slope[keep] - expected) / scale
    assert error.max() < 2e-3, f"worst at x={at[keep][error.argmax()]:.4g}"


ELEMENTWISE = [s.name for s in registry().specs() if s.kind == "elementwise"]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_curves_are_the_slopes_of_the_plotted_curves(name):
    fig = plot_activations(name, derivatives=2, x_range=(-4, 4), points=2001)
    f_ax, d1_ax, d2_ax = fig.axes
    kinks = registry().spec(name).kink_points(registry().spec(name).bind(fill_examples=True))
    margin = 3 * 8 / 2000
    _check_against_finite_differences(f_ax.get_lines()[0], d1_ax.get_lines()[0], kinks, margin)
    _check_against_finite_differences(d1_ax.get_lines()[0], d2_ax.get_lines()[0], kinks, margin)


def test_legend_names_every_function_with_distinct_styles():
    names = ["relu", "leaky_relu(0.5)", "keras:leaky_relu", "x*sigmoid(1.702*x)", "elu", "tanh"]
    fig = plot_activations(names, derivatives=True)
    texts = legend_texts(fig.axes[0])
    for name in names:
        assert sum(name in t for t in texts) >= 1, (name, texts)
    styles = {(ln.get_color(), ln.get_linestyle()) for ln in fig.axes[0].get_lines()}
    assert len(styles) == len(names)
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()
        assert all(g.get_visible() for g in ax.get_xgridlines() + ax.get_ygridlines())


def test_single_function_title_shows_its_formula():
    fig = plot_activations("sigmoid")
    title = fig._suptitle.get_text()
    assert title.startswith("sigmoid") and "$" in title and "frac" in title


def test_relu_derivative_jump_is_broken_and_marked_with_pytorch_value_at_zero():
    fig = plot_activations("relu", derivatives=1, x_range=(-2, 2), points=401)
    d_ax = fig.axes[1]
    xy = d_ax.get_lines()[0].get_xydata()
    # No vertical segment: the line breaks (NaN) at the jump.
    at_zero = np.flatnonzero(xy[:, 0] == 0.0)
    assert len(at_zero) == 1 and np.isnan(xy[at_zero[0], 1])
    x0 = torch.zeros(1, dtype=F64, requires_grad=True)
    (autograd_at_zero,) = torch.autograd.grad(F.relu(x0).sum(), x0)
    markers = [c.get_offsets() for c in d_ax.collections if len(c.get_offsets())]
    points = {tuple(np.round(p, 9)) for offsets in markers for p in np.asarray(offsets)}
    assert {(0.0, 0.0), (0.0, 1.0)} <= points
    filled = [np.asarray(c.get_offsets()) for c in d_ax.collections
              if len(c.get_offsets()) == 1]
    assert filled and filled[0][0][1] == autograd_at_zero.item()


def test_binary_step_jump_in_f_is_not_drawn_as_a_vertical_line():
    fig = plot_activations("binary_step", x_range=(-1, 1), points=201)
    x, y = finite_xy(fig.axes[0].get_lines()[0])
    np.testing.assert_array_equal(y, np.heaviside(x, 1.0))
    raw = fig.axes[0].get_lines()[0].get_ydata()
    assert np.isnan(raw).sum() == 1


def test_given_figure_is_drawn_into():
    figure = Figure()
    assert plot_activations("relu", figure=figure) is figure
    assert len(figure.axes) == 1


def test_plot_dispatches_vector_functions_to_bars():
    fig = plot("softmax")
    assert all(not ax.get_lines() for ax in fig.axes)
    assert len(fig.axes[1].containers) == 1


@pytest.mark.parametrize(("x_range", "message"), [
    ((1, -1), "swap"), ((2, 2), "different"), ((0, math.inf), "finite"),
    ((math.nan, 1), "finite"), (("a", 1), "two numbers"), ((1, 2, 3), "two numbers"),
])
def test_bad_ranges_are_clear_errors(x_range, message):
    with pytest.raises(PlotOptionError, match=message):
        plot_activations("relu", x_range=x_range)


@pytest.mark.parametrize("points", [0, 1, -5, 2.5, True, 10**7])
def test_bad_point_counts_are_clear_errors(points):
    with pytest.raises(PlotOptionError, match="number of points"):
        plot_activations("relu", points=points)


def test_unknown_names_suggest_close_ones():
    with pytest.raises(UnknownActivationError, match="did you mean 'relu'"):
        plot_activations(["tanh", "rleu"])


def test_vector_function_has_no_curve_and_mixing_kinds_is_refused():
    with pytest.raises(NotElementwiseError, match="softmax is a vector function"):
        plot_activations(["relu", "softmax"])
    with pytest.raises(PlotOptionError, match="cannot draw softmax"):
        plot(["relu", "softmax"])


def test_bad_derivative_order_is_a_clear_error():
    with pytest.raises(PlotOptionError, match="derivatives must be"):
        plot_activations("relu", derivatives=3)


def test_figures_display_in_notebooks_without_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = plot_activations("relu", points=20)
    assert fig._repr_png_().startswith(b"\x89PNG")
    assert plt.get_fignums() == before  # nothing left open in pyplot
