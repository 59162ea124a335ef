"""What a trial leaves behind: final metrics, histories and probe records, all plain data.

Every record is a dataclass of numbers, strings and lists; `TrialResult.to_dict()` is
JSON-ready and `TrialResult.from_dict()` reads it back. Non-finite numbers (a diverged
loss) are stored as None, so the JSON is strict.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actlab.training.config import TrialConfig


def finite_or_none(value: float) -> float | None:
    """`value` as a float, or None when it is nan or infinite."""
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class EvalRecord:
    """Loss and accuracy after `step` optimiser steps.

    train_* are the means over the batches since the previous record (Keras's epoch
    `loss` and `acc`: each batch measured before its update, dropout on); test_* come
    from an evaluation in eval mode; `regularization_loss` is the weight-decay term.
    """

    step: int
    epoch: float
    train_loss: float | None
    train_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    regularization_loss: float
    lr: float


@dataclass(frozen=True)
class GradientRecord:
    """Statistics of one parameter's gradient at one step (before the optimiser step)."""

    step: int
    parameter: str
    norm: float | None
    mean: float | None
    std: float | None
    max_abs: float | None


@dataclass(frozen=True)
class QuantileRecord:
    """Quantiles of one tensor at one step (what TensorBoard's distribution plots show)."""

    step: int
    tag: str
    levels: list[float]
    values: list[float | None]


@dataclass(frozen=True)
class ActivationRecord:
    """One activation site on the probe batch at one step.

    `dead_fraction`: units (features, or channels of a convolution) whose derivative is
    zero on every example and position of the probe batch; 0.0 for activations without
    a region where f' = 0 (see the site's `dead_region`). `saturated_fraction`: values
    with |f'(pre-activation)| < 1e-3 of the site's slope scale; `saturated_unit_fraction`:
    units saturated on every example and position. None where not defined.
    """

    step: int
    site: str
    mean: float | None
    std: float | None
    dead_fraction: float | None
    saturated_fraction: float | None
    saturated_unit_fraction: float | None


@dataclass(frozen=True)
class ActivationSite:
    """How the dead and saturated units of one site are defined."""

    site: str
    activation: str
    dead_region: bool
    slope_scale: float | None
    note: str


@dataclass(frozen=True)
class KernelRecord:
    """The code that computed one activation site, chosen once when the model was built.

    `implementation` is the chosen implementation's label ("native", "fused(mask)",
    "analytic"...; "module <Class>" for a module that is not a catalog activation) and
    `compile` says how the model ran: "eager" (trials do not compile models)."""

    site: str
    activation: str
    implementation: str
    compile: str


@dataclass(frozen=True)
class HistogramRecord:
    """A histogram of one tensor at one step: bin edges (bins + 1) and counts."""

    step: int
    tag: str
    edges: list[float]
    counts: list[int]


@dataclass(frozen=True)
class PredictionSnapshot:
    """The network's outputs on the first training examples, and their max, min and mean."""

    step: int
    outputs: list[list[float | None]]
    max: float | None
    min: float | None
    mean: float | None


@dataclass(frozen=True)
class TrialResult:
    """Everything one trial measured.

    `diverged`: the weights became non-finite (at `diverged_step`; `divergence` says how).
    `nan_loss`: a loss was nan or inf while the weights stayed finite (`NaN loss: a
    sample's outputs were all zero`), first at `nan_loss_step`, on `nan_loss_steps` steps;
    such a trial's accuracies stay meaningful.
    """

    config: dict[str, Any]
    final: dict[str, float | None]
    history: list[EvalRecord]
    step_losses: list[float | None]
    gradients: list[GradientRecord] = field(default_factory=list)
    first_layer_gradients: list[QuantileRecord] = field(default_factory=list)
    activations: list[ActivationRecord] = field(default_factory=list)
    activation_sites: list[ActivationSite] = field(default_factory=list)
    kernels: list[KernelRecord] = field(default_factory=list)
    histograms: list[HistogramRecord] = field(default_factory=list)
    predictions_before: PredictionSnapshot | None = None
    predictions_after: PredictionSnapshot | None = None
    diverged: bool = False
    diverged_step: int | None = None
    divergence: str = ""
    stopped_early: bool = False
    weights_finite: bool = True
    nan_loss: str = ""
    nan_loss_step: int | None = None
    nan_loss_steps: int = 0
    steps: int = 0
    epochs: float = 0.0
    wall_time_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    parameter_count: int = 0
    device: str = "cpu"
    dataset: dict[str, Any] = field(default_factory=dict)
    model_summary: str = ""
    output_dir: str | None = None

    @property
    def trial_config(self) -> TrialConfig:
        """The configuration, as a TrialConfig."""
        return TrialConfig.from_dict(self.config)

    def series(self, name: str) -> list[float | None]:
        """One column of the history, e.g. `series("test_accuracy")`."""
        return [getattr(record, name) for record in self.history]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialResult:
        values = dict(data)
        for name, record in (("history", EvalRecord), ("gradients", GradientRecord),
                             ("first_layer_gradients", QuantileRecord),
                             ("activations", ActivationRecord),
                             ("activation_sites", ActivationSite),
                             ("kernels", KernelRecord),
                             ("histograms", HistogramRecord)):
            values[name] = [record(**item) for item in values.get(name, [])]
        for name in ("predictions_before", "predictions_after"):
            if values.get(name) is not None:
                values[name] = PredictionSnapshot(**values[name])
        return cls(**values)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> TrialResult:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> Path:
        """Write the result as JSON; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> TrialResult:
        return cls.from_json(Path(path).read_text())
