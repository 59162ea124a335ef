"""Training curves of trials: loss and accuracy (seed 000, seed 003), first-layer gradients.

All functions take `TrialResult`s and return a matplotlib Figure (saved when given a
path): no pyplot, so they are safe in threads and headless.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from actlab.report.figure_files import save_figure
from actlab.report.style import line_style, new_figure, style_axes
from actlab.training.result import TrialResult


def _values(series: list[float | None]) -> list[float]:
    return [math.nan if v is None else v for v in series]


def _x_axis(result: TrialResult) -> tuple[list[float], str]:
    """Epochs when the trial trained by epochs (as Keras's history), else steps."""
    if result.config.get("epochs") is not None:
        return [r.epoch for r in result.history], "epoch"
    return [float(r.step) for r in result.history], "step"


def _curve_axes(figure: Figure) -> tuple[Axes, Axes]:
    loss_ax, accuracy_ax = figure.subplots(1, 2)
    for ax in (loss_ax, accuracy_ax):
        style_axes(ax, zero_lines=False)
    loss_ax.set_title("loss", fontsize=10)
    accuracy_ax.set_title("accuracy", fontsize=10)
    accuracy_ax.set_ylim(-0.02, 1.02)
    return loss_ax, accuracy_ax


def plot_training_curves(result: TrialResult, path: str | os.PathLike | None = None, *,
                         title: str | None = None, test: bool = True) -> Figure:
    """Train (and test) loss and accuracy of one trial against epochs or steps."""
    figure = new_figure(9.0, 3.4)
    loss_ax, accuracy_ax = _curve_axes(figure)
    x, unit = _x_axis(result)
    if unit == "step" and result.step_losses:
        # Seed 003's loss curves are per batch: the loss of every step, drawn thin.
        loss_ax.plot(range(1, len(result.step_losses) + 1), _values(result.step_losses),
                     color=line_style(0).color, alpha=0.3, linewidth=0.7, label="batch")
    splits = ("train", "test") if test else ("train",)
    for index, split in enumerate(splits):
        style = line_style(index)
        marker = style.marker if len(x) <= 30 else None  # a few points would not show
        loss_ax.plot(x, _values(result.series(f"{split}_loss")), color=style.color,
                     linestyle=style.linestyle, marker=marker, label=split)
        accuracy_ax.plot(x, _values(result.series(f"{split}_accuracy")), color=style.color,
                         linestyle=style.linestyle, marker=marker, label=split)
    for ax in (loss_ax, accuracy_ax):
        ax.set_xlabel(unit)
        ax.legend(fontsize=8)
    if result.diverged and result.diverged_step is not None:
        loss_ax.annotate(f"diverged at step {result.diverged_step}", xy=(0.5, 0.9),
                         xycoords="axes fraction", ha="center", color="#d62728", fontsize=9)
    config = result.config
    figure.suptitle(title or f"{config.get('model')} / {config.get('activation')} on "
                             f"{config.get('dataset')} (seed {config.get('seed')})", fontsize=11)
    if path is not None:
        save_figure(figure, path)
    return figure


def plot_curves_comparison(results: Mapping[str, TrialResult],
                           path: str | os.PathLike | None = None, *, split: str = "train",
                           title: str | None = None) -> Figure:
    """One split's loss and accuracy for several trials (one line per label)."""
    figure = new_figure(10.0, 3.8)
    loss_ax, accuracy_ax = _curve_axes(figure)
    unit = "step"
    for index, (label, result) in enumerate(results.items()):
        style = line_style(index)
        x, unit = _x_axis(result)
        loss_ax.plot(x, _values(result.series(f"{split}_loss")), color=style.color,
                     linestyle=style.linestyle, label=label)
        accuracy_ax.plot(x, _values(result.series(f"{split}_accuracy")), color=style.color,
                         linestyle=style.linestyle, label=label)
    for ax in (loss_ax, accuracy_ax):
        ax.set_xlabel(unit)
    accuracy_ax.legend(fontsize=8, loc="lower right")
    loss_ax.set_title(f"{split} loss", fontsize=10)
    accuracy_ax.set_title(f"{split} accuracy", fontsize=10)
    if title:
        figure.suptitle(title, fontsize=11)
    if path is not None:
        save_figure(figure, path)
    return figure


def plot_first_layer_gradients(result: TrialResult, path: str | os.PathLike | None = None
                               ) -> Figure:
    """Seed 003's plots: quantile bands of the first layer's weight and bias gradients."""
    tags = list(dict.fromkeys(r.tag for r in result.first_layer_gradients))
    figure = new_figure(4.5 * max(len(tags), 1), 3.4)
    axes = figure.subplots(1, max(len(tags), 1), squeeze=False)[0]
    for ax, tag in zip(axes, tags, strict=False):
        style_axes(ax)
        records = [r for r in result.first_layer_gradients if r.tag == tag]
        steps = [r.step for r in records]
        columns = list(zip(*[_values(r.values) for r in records], strict=True))
        half = len(columns) // 2
        for low, high in zip(columns[:half], reversed(columns[half + 1:]), strict=False):
            ax.fill_between(steps, low, high, color=line_style(0).color, alpha=0.18,
                            linewidth=0)
        ax.plot(steps, columns[half], color=line_style(0).color, linewidth=1.2,
                label="median")
        ax.set_title(tag, fontsize=10)
        ax.set_xlabel("step")
    if path is not None:
        save_figure(figure, path)
    return figure
