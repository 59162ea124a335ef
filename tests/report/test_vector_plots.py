"""Vector and gated functions as bars: seed 004's softmax numbers, GLU halves, sparsemax."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from actlab.report import PlotOptionError, plot_vector_activations

# Seed 004, as published (three decimals).
SEED_004 = [
    ([1, 2, 3, 4, 1, 2, 3], [0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175]),
    ([0.1, 0.2, 0.3, 0.4, 0.1, 0.2, 0.3], [0.125, 0.138, 0.153, 0.169, 0.125, 0.138, 0.153]),
]


def _bars(ax, label):
    containers = [c for c in ax.containers if c.get_label() == label]
    assert len(containers) == 1, [c.get_label() for c in ax.containers]
    return np.array([bar.get_height() for bar in containers[0]])


def test_softmax_default_bars_are_seed_004_numbers():
    fig = plot_vector_activations("softmax")
    assert len(fig.axes) == 4  # two examples, input and output each
    for row, (given, published) in enumerate(SEED_004):
        inp, out = fig.axes[2 * row], fig.axes[2 * row + 1]
        np.testing.assert_array_equal(_bars(inp, "input"), given)
        heights = _bars(out, "output")
        np.testing.assert_allclose(heights, published, atol=5e-4)
        e = np.exp(np.array(given, dtype=float))
        np.testing.assert_allclose(heights, e / e.sum(), rtol=1e-12)
        labels = [t.get_text() for t in out.texts]
        assert labels == [f"{v:.3f}" for v in published]


def test_gated_function_shows_halves_and_output():
    fig = plot_vector_activations("swiglu")
    inp, out = fig.axes
    a, b = _bars(inp, "a (first half)"), _bars(inp, "b (second half, gate input)")
    assert len(a) == len(b) == 7
    expected = (torch.tensor(a) * F.silu(torch.tensor(b))).numpy()
    np.testing.assert_allclose(_bars(out, "output"), expected, rtol=1e-12)
    glu = plot_vector_activations("glu", inputs=[1, 2, 0, -1])
    expected = F.glu(torch.tensor([1.0, 2, 0, -1], dtype=torch.float64), dim=-1).numpy()
    np.testing.assert_allclose(_bars(glu.axes[1], "output"), expected, rtol=1e-12)


def _sparsemax(z: np.ndarray) -> np.ndarray:
    """Martins & Astudillo 2016, algorithm 1."""
    s = np.sort(z)[::-1]
    k = np.arange(1, len(z) + 1)
    support = 1 + k * s > np.cumsum(s)
    kz = k[support][-1]
    tau = (np.cumsum(s)[kz - 1] - 1) / kz
    return np.maximum(z - tau, 0)


@pytest.mark.parametrize(("name", "reference"), [
    ("softmin", lambda x: F.softmin(torch.tensor(x), dim=0).numpy()),
    ("log_softmax", lambda x: F.log_softmax(torch.tensor(x), dim=0).numpy()),
    ("softmax2d", lambda x: F.softmax(torch.tensor(x), dim=0).numpy()),
    ("sparsemax", _sparsemax),
])
def test_other_vector_functions_against_references(name, reference):
    x = [0.5, -1.0, 2.0, 0.3]
    fig = plot_vector_activations(name, inputs=x)
    np.testing.assert_allclose(_bars(fig.axes[1], "output"), reference(np.array(x)),
                               rtol=1e-10, atol=1e-12)


def test_several_functions_and_inputs_make_one_row_each():
    fig = plot_vector_activations(["softmax", "sparsemax"], inputs=[[1, 2], [3, 4, 5]])
    assert len(fig.axes) == 8
    assert fig.axes[0].get_ylabel() == "softmax" and fig.axes[4].get_ylabel() == "sparsemax"


def test_bad_vector_inputs_are_clear_errors():
    with pytest.raises(PlotOptionError, match="even number"):
        plot_vector_activations("glu", inputs=[1, 2, 3])
    with pytest.raises(PlotOptionError, match="elementwise"):
        plot_vector_activations(["softmax", "relu"])
    with pytest.raises(PlotOptionError, match="finite"):
        plot_vector_activations("softmax", inputs=[1, float("inf")])
