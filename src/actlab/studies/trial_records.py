"""A trial's result (TrialResult.to_dict()) as the store keeps it: a summary and curve rows.

Each number is stored once. The curves go to the store's metrics table, one row per
(name, step):

- `train_loss`, `train_accuracy`, `test_loss`, `test_accuracy`, `regularization_loss`, `lr`:
  the evaluation history (step and epoch of each record);
- `step_loss`: the loss of every optimiser step;
- `grad_norm/<parameter>`, `grad_mean/...`, `grad_std/...`, `grad_max_abs/...`: each
  parameter's gradient statistics;
- `act_mean/<site>`, `act_std/<site>`, `dead_fraction/<site>`, `saturated_fraction/<site>`,
  `saturated_unit_fraction/<site>`: each activation site on the probe batch.

The rest of the result (final metrics, settings, activation sites, first-layer quantiles,
histograms, predictions, timings) is its summary; the config is the trial's own, stored
with it. `join_result` puts the whole result back together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from actlab.studies.store import MetricPoint

HISTORY_FIELDS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy",
                  "regularization_loss", "lr")
GRADIENT_FIELDS = {"norm": "grad_norm", "mean": "grad_mean", "std": "grad_std",
                   "max_abs": "grad_max_abs"}
ACTIVATION_FIELDS = {"mean": "act_mean", "std": "act_std", "dead_fraction": "dead_fraction",
                     "saturated_fraction": "saturated_fraction",
                     "saturated_unit_fraction": "saturated_unit_fraction"}
#: The result's lists that become metric rows; `config` is stored with the trial.
CURVE_KEYS = ("history", "step_losses", "gradients", "activations")
_STORED_ELSEWHERE = (*CURVE_KEYS, "config")


def weights_diverged(result: Mapping[str, Any]) -> bool:
    """Whether the trainer found the trial's weights non-finite."""
    return bool(result.get("diverged", False))


def final_value(result: Mapping[str, Any], metric: str) -> float | None:
    """A final metric (test_accuracy, ...) of the trial; None when it has none or it is
    not finite."""
    value = result.get("final", {}).get(metric)
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)


def is_diverged(result: Mapping[str, Any], metric: str) -> bool:
    """Diverged on `metric`: non-finite weights, or a non-finite (missing) final metric.

    A NaN loss alone is not divergence: with finite weights the accuracies stay meaningful
    (see `nan_loss`).
    """
    return weights_diverged(result) or final_value(result, metric) is None


def nan_loss(result: Mapping[str, Any]) -> str:
    """The trainer's flag for a non-finite loss with finite weights (empty when none)."""
    return str(result.get("nan_loss") or "")


def metric_points(result: Mapping[str, Any]) -> list[MetricPoint]:
    """Every curve of the result as store rows, in the order they were recorded."""
    points = []
    for record in result.get("history", []):
        for name in HISTORY_FIELDS:
            if name in record:
                points.append(MetricPoint(name, int(record["step"]), record.get("epoch"),
                                          record[name]))
    points += [MetricPoint("step_loss", step, None, value)
               for step, value in enumerate(result.get("step_losses", []), start=1)]
    for record in result.get("gradients", []):
        for field, prefix in GRADIENT_FIELDS.items():
            if field in record:
                points.append(MetricPoint(f"{prefix}/{record['parameter']}",
                                          int(record["step"]), None, record[field]))
    for record in result.get("activations", []):
        for field, prefix in ACTIVATION_FIELDS.items():
            points.append(MetricPoint(f"{prefix}/{record['site']}", int(record["step"]), None,
                                      record.get(field)))
    return points


def split_result(result: Mapping[str, Any]) -> tuple[dict[str, Any], list[MetricPoint]]:
    """(summary, curve rows): what the store keeps of a result, each number once."""
    summary = {k: v for k, v in result.items() if k not in _STORED_ELSEWHERE}
    return summary, metric_points(result)


def join_result(summary: Mapping[str, Any], points: Iterable[MetricPoint],
                config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The whole result again from its summary, its curve rows (in recorded order) and
    the trial's config. A result stored whole (schema 1) keeps its own lists."""
    history: dict[int, dict[str, Any]] = {}
    step_losses: dict[int, float | None] = {}
    gradients: dict[tuple[int, str], dict[str, Any]] = {}
    activations: dict[tuple[int, str], dict[str, Any]] = {}
    gradient_fields = {prefix: field for field, prefix in GRADIENT_FIELDS.items()}
    activation_fields = {prefix: field for field, prefix in ACTIVATION_FIELDS.items()}
    for point in points:
        if point.name in HISTORY_FIELDS:
            record = history.setdefault(point.step, {"step": point.step, "epoch": point.epoch})
            record[point.name] = point.value
        elif point.name == "step_loss":
            step_losses[point.step] = point.value
        else:
            prefix, _, owner = point.name.partition("/")
            if prefix in gradient_fields:
                record = gradients.setdefault((point.step, owner), {
                    "step": point.step, "parameter": owner})
                record[gradient_fields[prefix]] = point.value
            elif prefix in activation_fields:
                record = activations.setdefault((point.step, owner), {
                    "step": point.step, "site": owner})
                record[activation_fields[prefix]] = point.value
    joined: dict[str, Any] = {}
    if config is not None:
        joined["config"] = dict(config)
    joined.update(history=list(history.values()),
                  step_losses=[step_losses[s] for s in sorted(step_losses)],
                  gradients=list(gradients.values()), activations=list(activations.values()))
    joined.update(summary)  # a schema-1 result holds its lists itself
    return joined
