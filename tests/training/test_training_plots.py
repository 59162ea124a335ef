"""The training-curve figures draw the result's own numbers and save PNG files."""

from __future__ import annotations

import numpy as np

from actlab.report.training_plots import (
    plot_curves_comparison,
    plot_first_layer_gradients,
    plot_training_curves,
)
from actlab.training import run_trial
from actlab.training.seed000 import toy_config


def _toy(activation: str, epochs: int = 15):
    return run_trial(toy_config(activation, seed=2, epochs=epochs, tensorboard=False),
                     progress=False)


def test_curves_are_the_history(tmp_path):
    result = _toy("softmax")
    figure = plot_training_curves(result, tmp_path / "curves.png", test=False)
    loss_ax, accuracy_ax = figure.axes[:2]
    (loss_line,) = loss_ax.get_lines()
    np.testing.assert_array_equal(loss_line.get_xdata(), np.arange(1, 16))
    np.testing.assert_allclose(loss_line.get_ydata(), result.series("train_loss"))
    (accuracy_line,) = accuracy_ax.get_lines()
    np.testing.assert_allclose(accuracy_line.get_ydata(), result.series("train_accuracy"))
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_comparison_has_one_line_per_trial_and_gradient_bands(tmp_path):
    results = {"softmax": _toy("softmax"), "tanh": _toy("tanh")}
    figure = plot_curves_comparison(results, tmp_path / "both.png")
    labels = [line.get_label() for line in figure.axes[1].get_lines()]
    assert labels == ["softmax", "tanh"]
    gradients = plot_first_layer_gradients(_toy("sigmoid", epochs=60), tmp_path / "g.png")
    medians = [line for ax in gradients.axes for line in ax.get_lines()
               if line.get_label() == "median"]
    assert len(medians) == 2  # dense.weight and dense.bias
    assert (tmp_path / "g.png").stat().st_size > 1000
