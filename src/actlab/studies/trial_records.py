"""Reading a trial's result (TrialResult.to_dict()): its final metrics and its curves as rows.

The store keeps every curve in its metrics table under these names:

- `train_loss`, `train_accuracy`, `test_loss`, `test_accuracy`, `regularization_loss`, `lr`:
  the evaluation history (step and epoch of each record);
- `step_loss`: the loss of every optimiser step;
- `grad_norm/<parameter>`: each parameter's gradient norm;
- `act_mean/<site>`, `act_std/<site>`, `dead_fraction/<site>`, `saturated_fraction/<site>`,
  `saturated_unit_fraction/<site>`: each activation site on the probe batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from actlab.studies.store import MetricPoint

HISTORY_FIELDS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy",
                  "regularization_loss", "lr")
ACTIVATION_FIELDS = {"mean": "act_mean", "std": "act_std", "dead_fraction": "dead_fraction",
                     "saturated_fraction": "saturated_fraction",
                     "saturated_unit_fraction": "saturated_unit_fraction"}


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
    """Every curve of the result as store rows."""
    points = []
    for record in result.get("history", []):
        for name in HISTORY_FIELDS:
            if name in record:
                points.append(MetricPoint(name, int(record["step"]), record.get("epoch"),
                                          record[name]))
    points += [MetricPoint("step_loss", step, None, value)
               for step, value in enumerate(result.get("step_losses", []), start=1)]
    for record in result.get("gradients", []):
        points.append(MetricPoint(f"grad_norm/{record['parameter']}", int(record["step"]),
                                  None, record.get("norm")))
    for record in result.get("activations", []):
        for field, prefix in ACTIVATION_FIELDS.items():
            points.append(MetricPoint(f"{prefix}/{record['site']}", int(record["step"]), None,
                                      record.get(field)))
    return points
