"""Seed 001's view read back from the figure: y = x points, each output, softmax over the vector."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from plotted_data import legend_texts, line

from actlab.report import PlotOptionError, plot_transformation
from actlab.report.transformation import INPUT_LABEL

SEED_X = np.arange(-3, 3.5, 0.5)  # seed 001's inputs


def _outputs(fig, label):
    xy = line(fig.axes[0], label).get_xydata()
    np.testing.assert_array_equal(xy[:, 0], SEED_X)
    return xy[:, 1]


def test_default_view_is_seed_001():
    fig = plot_transformation()
    ax = fig.axes[0]
    points = line(ax, INPUT_LABEL)
    np.testing.assert_array_equal(points.get_xydata(), np.column_stack([SEED_X, SEED_X]))
    assert points.get_linestyle() == "None" and points.get_marker() == "o"
    np.testing.assert_allclose(_outputs(fig, "tanh"), np.tanh(SEED_X), rtol=1e-12)
    np.testing.assert_allclose(_outputs(fig, "sigmoid"), 1 / (1 + np.exp(-SEED_X)), rtol=1e-12)
    np.testing.assert_allclose(_outputs(fig, "relu"), np.maximum(SEED_X, 0))
    x = torch.as_tensor(SEED_X)
    np.testing.assert_allclose(_outputs(fig, "leaky_relu(0.5)"),
                               F.leaky_relu(x, 0.5).numpy(), rtol=1e-12)
    np.testing.assert_allclose(_outputs(fig, "x**2"), SEED_X**2, rtol=1e-12)


def test_softmax_is_applied_to_the_whole_vector_and_labelled_so():
    fig = plot_transformation()
    label = "softmax (over the whole vector)"
    assert label in legend_texts(fig.axes[0])
    y = _outputs(fig, label)
    e = np.exp(SEED_X)
    np.testing.assert_allclose(y, e / e.sum(), rtol=1e-12)
    assert abs(y.sum() - 1) < 1e-12 and y.max() < 0.5  # not 1 per number


def test_legend_names_every_function():
    names = ["tanh", "keras:hard_sigmoid", "elu", "x*sigmoid(1.702*x)", "log_softmax"]
    texts = legend_texts(plot_transformation(names).axes[0])
    assert texts[0] == INPUT_LABEL
    for name in names:
        assert any(t.startswith(name) for t in texts), (name, texts)


def test_custom_inputs():
    fig = plot_transformation(["softsign"], inputs=[-2, 0, 2])
    xy = line(fig.axes[0], "softsign").get_xydata()
    np.testing.assert_allclose(xy, [[-2, -2 / 3], [0, 0], [2, 2 / 3]])


def test_gated_functions_and_bad_inputs_are_clear_errors():
    with pytest.raises(PlotOptionError, match="glu is gated"):
        plot_transformation(["relu", "glu"])
    with pytest.raises(PlotOptionError, match="finite"):
        plot_transformation(["relu"], inputs=[0, float("nan")])
    with pytest.raises(PlotOptionError, match="non-empty"):
        plot_transformation(["relu"], inputs=[])
