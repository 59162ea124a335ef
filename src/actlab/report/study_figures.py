"""The figures of a study report: final metric per seed, curve bands, gradients, activations.

Each function takes one grid condition of a study (`ConditionResults`) and returns a
matplotlib Figure (no pyplot), or None when the trials hold nothing to draw. Every
activation keeps the same colour and dash in every figure.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from actlab.report.style import line_style, new_figure, style_axes
from actlab.studies.results import Band, ConditionResults, TrialRecord
from actlab.studies.statistics import Comparison

DIVERGED_COLOR = "#d62728"


def figure_png_base64(figure: Figure, *, dpi: int = 110) -> str:
    """The figure as a base64 PNG, for an <img src="data:image/png;base64,..."> tag."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _style(condition: ConditionResults, label: str):
    return line_style(condition.labels.index(label))


def _x_scale(condition: ConditionResults) -> tuple[float, str]:
    """Divide steps by this to get the x axis: epochs when the study trains by epochs."""
    if condition.spec.training.get("epochs") is None:
        return 1.0, "step"
    for record in condition.records:
        history = (record.result or {}).get("history") or []
        for entry in history:
            if entry.get("epoch"):
                return entry["step"] / entry["epoch"], "epoch"
    return 1.0, "step"


def plot_final_metric(condition: ConditionResults, comparison: Comparison) -> Figure | None:
    """Each seed's final value per activation (dots), the mean and its confidence interval."""
    metric = comparison.metric
    labels = list(comparison.ranking)
    if not any(comparison.summaries[label].n for label in labels) and not any(
            comparison.summaries[label].diverged for label in labels):
        return None
    figure = new_figure(max(5.0, 0.9 * len(labels) + 2.5), 3.6)
    ax = figure.subplots()
    style_axes(ax, zero_lines=False)
    finite = [r.final(metric.name) for r in condition.records]
    finite = [v for v in finite if v is not None and math.isfinite(v)]
    floor = min(finite) if finite else 0.0
    rng = np.random.default_rng(0)  # fixed jitter: the figure is the same every time
    for position, label in enumerate(labels):
        style = _style(condition, label)
        values = [r.final(metric.name) for r in condition.records_of(label)]
        values = [v for v in values if v is not None and math.isfinite(v)]
        jitter = rng.uniform(-0.12, 0.12, len(values))
        ax.scatter(position + jitter, values, s=14, color=style.color, alpha=0.55, zorder=2)
        summary = comparison.summaries[label]
        if summary.n:
            ax.plot([position - 0.25, position + 0.25], [summary.mean] * 2, color=style.color,
                    linewidth=2.2, zorder=3)
            if math.isfinite(summary.ci_low):
                ax.errorbar(position, summary.mean,
                            yerr=[[summary.mean - summary.ci_low],
                                  [summary.ci_high - summary.mean]],
                            color=style.color, capsize=4, linewidth=1.2, zorder=3)
        if summary.diverged:
            ax.scatter([position], [floor], marker="x", s=40, color=DIVERGED_COLOR, zorder=4)
            ax.annotate(f"{summary.diverged} diverged", (position, floor), fontsize=7,
                        color=DIVERGED_COLOR, ha="center", va="top",
                        xytext=(0, -6), textcoords="offset points")
    ax.set_xticks(range(len(labels)), labels, rotation=20 if len(labels) > 5 else 0,
                  ha="right" if len(labels) > 5 else "center", fontsize=8)
    ax.set_ylabel(metric.title)
    ax.set_title(f"{metric.title} per seed (dots), mean and "
                 f"{comparison.summaries[labels[0]].confidence:.0%} t interval (bars); "
                 f"best rank first", fontsize=9)
    return figure


def _draw_band(ax, band: Band, scale: float, color: str, linestyle: str, label: str) -> None:
    x = band.steps / scale
    ax.plot(x, band.mean, color=color, linestyle=linestyle, linewidth=1.4, label=label)
    if np.any(np.isfinite(band.low)):
        ax.fill_between(x, band.low, band.high, color=color, alpha=0.15, linewidth=0)


def plot_curve_bands(condition: ConditionResults,
                     curves: Sequence[tuple[str, str]] = (("train_loss", "training loss"),
                                                          ("test_loss", "test loss"),
                                                          ("test_accuracy", "test accuracy"))
                     ) -> Figure | None:
    """Loss and accuracy over training: mean over seeds and its confidence band."""
    available = [(name, title) for name, title in curves if name in condition.curve_names()]
    if not available:
        return None
    scale, unit = _x_scale(condition)
    figure = new_figure(4.2 * len(available), 3.5)
    axes = figure.subplots(1, len(available), squeeze=False)[0]
    for ax, (name, title) in zip(axes, available, strict=True):
        style_axes(ax, zero_lines=False)
        for label in condition.labels:
            band = condition.band(label, name)
            if band is not None:
                style = _style(condition, label)
                _draw_band(ax, band, scale, style.color, style.linestyle, label)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(unit)
        if "accuracy" in name:
            ax.set_ylim(-0.02, 1.02)
    axes[-1].legend(fontsize=7, loc="best")
    figure.suptitle("mean over seeds with 95% t band", fontsize=9)
    return figure


def _first_seed_records(condition: ConditionResults) -> dict[str, TrialRecord]:
    """For each activation, its finished trial with the lowest seed (diverged ones last)."""
    chosen = {}
    for label in condition.labels:
        finished = sorted((r for r in condition.records_of(label)
                           if r.status == "finished" and r.result),
                          key=lambda r: (r.diverged, r.trial.seed))
        if finished:
            chosen[label] = finished[0]
    return chosen


def plot_first_layer_gradients(condition: ConditionResults) -> Figure | None:
    """Seed 003's view: quantile bands of the first layer's gradients, one column each.

    Bands span the quantiles TensorBoard's distributions show (min-max, ±1.5σ, ±1σ,
    ±0.5σ of a normal) around the median, on a shared y scale per row so that vanishing
    gradients look flat. The lowest finished seed of each activation is shown.
    """
    chosen = _first_seed_records(condition)
    tags: list[str] = []
    for record in chosen.values():
        for q in record.result.get("first_layer_gradients", []):
            if q["tag"] not in tags:
                tags.append(q["tag"])
    if not tags:
        return None
    labels = list(chosen)
    scale, unit = _x_scale(condition)
    figure = new_figure(2.3 * len(labels) + 1.0, 2.2 * len(tags) + 0.6)
    axes = figure.subplots(len(tags), len(labels), squeeze=False, sharey="row")
    for row, tag in enumerate(tags):
        for column, label in enumerate(labels):
            ax = axes[row][column]
            style_axes(ax)
            records = [q for q in chosen[label].result.get("first_layer_gradients", [])
                       if q["tag"] == tag]
            color = _style(condition, label).color
            if records:
                steps = np.array([q["step"] for q in records], dtype=float) / scale
                table = np.array([[math.nan if v is None else v for v in q["values"]]
                                  for q in records], dtype=float)
                half = table.shape[1] // 2
                for low in range(half):
                    ax.fill_between(steps, table[:, low], table[:, -1 - low], color=color,
                                    alpha=0.16, linewidth=0)
                ax.plot(steps, table[:, half], color=color, linewidth=1.0)
            if row == 0:
                ax.set_title(f"{label} (seed {chosen[label].trial.seed})", fontsize=8)
            if column == 0:
                ax.set_ylabel(tag.removesuffix(".grad"), fontsize=7)
            if row == len(tags) - 1:
                ax.set_xlabel(unit, fontsize=7)
            ax.tick_params(labelsize=6)
    figure.suptitle("first-layer gradients: median and quantile bands", fontsize=9)
    return figure


def _weight_parameters(record: TrialRecord) -> list[str]:
    names = []
    for g in record.result.get("gradients", []):
        if g["parameter"].endswith("weight") and g["parameter"] not in names:
            names.append(g["parameter"])
    return names


def plot_gradient_norms(condition: ConditionResults) -> Figure | None:
    """The first layer's gradient norm over training, and the mean norm of every layer."""
    chosen = _first_seed_records(condition)
    if not chosen or not any(_weight_parameters(r) for r in chosen.values()):
        return None
    scale, unit = _x_scale(condition)
    figure = new_figure(10.0, 3.6)
    over_time, by_layer = figure.subplots(1, 2)
    for ax in (over_time, by_layer):
        style_axes(ax, zero_lines=False)
    for label in condition.labels:
        if label not in chosen or not _weight_parameters(chosen[label]):
            continue
        style = _style(condition, label)
        first = _weight_parameters(chosen[label])[0]
        band = condition.band(label, f"grad_norm/{first}")
        if band is not None:
            positive = Band(band.steps, np.where(band.mean > 0, band.mean, np.nan),
                            np.where(band.low > 0, band.low, np.nan), band.high, band.count)
            _draw_band(over_time, positive, scale, style.color, style.linestyle, label)
        layer_means = []
        for parameter in _weight_parameters(chosen[label]):
            values = [g["norm"] for r in condition.records_of(label)
                      if r.status == "finished" and r.result
                      for g in r.result.get("gradients", [])
                      if g["parameter"] == parameter and g["norm"] is not None]
            layer_means.append(float(np.mean(values)) if values else math.nan)
        by_layer.plot(range(1, len(layer_means) + 1), layer_means, color=style.color,
                      linestyle=style.linestyle, marker=style.marker, markersize=3,
                      linewidth=1.2, label=label)
    over_time.set_yscale("log")
    over_time.set_title("first-layer weight gradient norm (mean over seeds)", fontsize=9)
    over_time.set_xlabel(unit)
    by_layer.set_yscale("log")
    by_layer.set_title("gradient norm by layer, averaged over training and seeds",
                       fontsize=9)
    by_layer.set_xlabel("layer (input → output)")
    by_layer.legend(fontsize=7)
    return figure


def _sites(record: TrialRecord) -> list[str]:
    return [s["site"] for s in record.result.get("activation_sites", [])]


def plot_activation_statistics(condition: ConditionResults) -> Figure | None:
    """Activation mean and std by layer at the end, dead and saturated units over training."""
    chosen = _first_seed_records(condition)
    if not chosen or not any(_sites(r) for r in chosen.values()):
        return None
    scale, unit = _x_scale(condition)
    figure = new_figure(11.0, 6.4)
    (mean_ax, std_ax), (dead_ax, saturated_ax) = figure.subplots(2, 2)
    for ax in (mean_ax, std_ax, dead_ax, saturated_ax):
        style_axes(ax, zero_lines=ax is mean_ax)
    for label in condition.labels:
        if label not in chosen:
            continue
        style = _style(condition, label)
        sites = _sites(chosen[label])
        kwargs = {"color": style.color, "linestyle": style.linestyle, "linewidth": 1.2,
                  "label": label}
        for ax, field in ((mean_ax, "mean"), (std_ax, "std")):
            values = []
            for site in sites:
                finals = [_last(r, site, field) for r in condition.records_of(label)]
                finals = [v for v in finals if v is not None]
                values.append(float(np.mean(finals)) if finals else math.nan)
            ax.plot(range(1, len(sites) + 1), values, marker=style.marker, markersize=3,
                    **kwargs)
        for ax, prefix in ((dead_ax, "dead_fraction"), (saturated_ax, "saturated_fraction")):
            bands = [condition.band(label, f"{prefix}/{site}") for site in sites]
            bands = [b for b in bands if b is not None]
            if bands and all(len(b.steps) == len(bands[0].steps) for b in bands):
                stack = np.vstack([b.mean for b in bands])
                count = np.isfinite(stack).sum(axis=0)
                mean = np.where(count > 0, np.nansum(stack, axis=0) / np.maximum(count, 1),
                                np.nan)
                ax.plot(bands[0].steps / scale, mean, **kwargs)
    mean_ax.set_title("activation mean by layer (end of training)", fontsize=9)
    std_ax.set_title("activation std by layer (end of training)", fontsize=9)
    for ax in (mean_ax, std_ax):
        ax.set_xlabel("activation site (input → output)")
    dead_ax.set_title("dead units (f′ = 0 on the whole probe batch), mean over layers",
                      fontsize=9)
    saturated_ax.set_title("saturated values (|f′| < 1e-3 of its scale), mean over layers",
                           fontsize=9)
    for ax in (dead_ax, saturated_ax):
        ax.set_xlabel(unit)
        ax.set_ylim(-0.02, 1.02)
    std_ax.legend(fontsize=7)
    return figure


def _last(record: TrialRecord, site: str, field: str) -> float | None:
    """The value of `field` at the last probe of `site` in a finished trial."""
    if record.status != "finished" or not record.result:
        return None
    entries = [a for a in record.result.get("activations", []) if a["site"] == site]
    if not entries:
        return None
    value = max(entries, key=lambda a: a["step"]).get(field)
    return None if value is None else float(value)
