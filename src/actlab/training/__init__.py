"""Training one trial: trainer, losses, optimisers, probes and logs.

`run_trial(TrialConfig(...)) -> TrialResult` is the whole API a study needs.
"""

from actlab.training.config import ProbeConfig, TrialConfig, TrialConfigError
from actlab.training.devices import DeviceUnavailableError, resolve_device
from actlab.training.losses import (
    cross_entropy,
    keras_categorical_crossentropy,
    keras_categorical_crossentropy_per_sample,
    loss_function,
)
from actlab.training.metrics_file import read_metrics
from actlab.training.recipes import TrainingRecipe, TrainingSettings, recipe_for
from actlab.training.result import (
    ActivationRecord,
    ActivationSite,
    EvalRecord,
    GradientRecord,
    HistogramRecord,
    KernelRecord,
    PredictionSnapshot,
    QuantileRecord,
    TrialResult,
)
from actlab.training.trial import run_trial

__all__ = [
    "ActivationRecord", "ActivationSite", "DeviceUnavailableError", "EvalRecord",
    "GradientRecord", "HistogramRecord", "KernelRecord", "PredictionSnapshot", "ProbeConfig",
    "QuantileRecord",
    "TrainingRecipe", "TrainingSettings", "TrialConfig", "TrialConfigError", "TrialResult",
    "cross_entropy", "keras_categorical_crossentropy",
    "keras_categorical_crossentropy_per_sample", "loss_function", "read_metrics",
    "recipe_for", "resolve_device", "run_trial",
]
