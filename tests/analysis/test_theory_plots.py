"""The phase diagram and propagation figures: their data read back from the matplotlib objects."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.collections import QuadMesh

from actlab.analysis.mean_field import critical_sigma_w2, variance_fixed_points
from actlab.analysis.phase_diagram import phase_diagram
from actlab.analysis.propagation import PropagationSetup, network_init, propagate
from actlab.report.theory_plots import (
    CRITICAL_LINE_LABEL,
    PROPAGATION_PANELS,
    phase_diagram_figure,
    propagation_figure,
)


@pytest.fixture(scope="module")
def tanh_diagram():
    return phase_diagram("tanh", sigma_w2_max=4.0, sigma_b2_max=0.3, columns=12, rows=7,
                         edge_points=7)


def _line(ax, label):
    lines = [line for line in ax.get_lines() if line.get_label() == label]
    assert len(lines) == 1, [line.get_label() for line in ax.get_lines()]
    return lines[0]


def test_phase_diagram_line_is_the_critical_sigma_w2(tanh_diagram):
    figure = phase_diagram_figure(tanh_diagram, point=(1.5, 0.05))
    ax = figure.axes[0]
    line = _line(ax, CRITICAL_LINE_LABEL)
    x, y = line.get_xdata(), line.get_ydata()
    np.testing.assert_allclose(y, np.linspace(0, math.sqrt(0.3), 7) ** 2)
    for sigma_b2, sigma_w2 in zip(y, x, strict=True):
        assert sigma_w2 == pytest.approx(critical_sigma_w2("tanh", float(sigma_b2)), rel=1e-9)
    assert x[0] == pytest.approx(1.0, abs=1e-9)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert CRITICAL_LINE_LABEL in legend and "σ_w² = 1.5, σ_b² = 0.05" in legend
    star = _line(ax, "σ_w² = 1.5, σ_b² = 0.05")
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (1.5, 0.05)
    texts = {t.get_text() for t in ax.texts}
    assert {"ordered\n(χ₁ < 1)", "chaotic\n(χ₁ > 1)"} <= texts


def test_phase_diagram_colours_are_log_chi(tanh_diagram):
    figure = phase_diagram_figure(tanh_diagram)
    mesh = next(c for c in figure.axes[0].collections if isinstance(c, QuadMesh))
    shown = np.asarray(mesh.get_array()).reshape(tanh_diagram.chi_1.shape)
    row, column = 3, 5
    fixed = variance_fixed_points("tanh", tanh_diagram.sigma_w2[column],
                                  tanh_diagram.sigma_b2[row])
    assert 10 ** shown[row, column] == pytest.approx(fixed.chi_1[0], rel=1e-9)


def test_propagation_figure_overlays_theory_and_simulation():
    setup = PropagationSetup(depth=5, width=200, pairs=4, seeds=(0, 1))
    results = [propagate(name, network_init("lecun_normal", name), setup)
               for name in ("selu", "tanh")]
    figure = propagation_figure(results)
    assert len(figure.axes) == 4
    for ax, (name, title, _) in zip(figure.axes, PROPAGATION_PANELS, strict=True):
        assert ax.get_title() == title
        for result in results:
            simulated = _line(ax, f"{result.activation} (simulation)")
            theory = _line(ax, f"{result.activation} (theory)")
            np.testing.assert_allclose(simulated.get_xdata(), np.arange(1, 6))
            np.testing.assert_allclose(simulated.get_ydata(), result.simulation_mean(name))
            np.testing.assert_allclose(theory.get_ydata(), getattr(result.theory, name))
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == ["selu (simulation)", "selu (theory)", "tanh (simulation)",
                      "tanh (theory)"]
    assert "lecun_normal" in figure._suptitle.get_text()
