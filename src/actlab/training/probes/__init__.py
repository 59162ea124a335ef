"""Probes that watch a trial: gradients, activations (dead and saturated units), outputs."""

from actlab.training.probes.activation_probe import ActivationProbe, activation_sites
from actlab.training.probes.gradient_probe import (
    DISTRIBUTION_LEVELS,
    first_layer_parameters,
    gradient_records,
    quantile_records,
)
from actlab.training.probes.histograms import TensorHistogram, tensor_histogram
from actlab.training.probes.prediction_probe import prediction_snapshot
from actlab.training.probes.unit_states import (
    SATURATION_RATIO,
    SiteRule,
    site_rule,
    unit_statistics,
)

__all__ = [
    "DISTRIBUTION_LEVELS", "SATURATION_RATIO", "ActivationProbe", "SiteRule", "TensorHistogram",
    "activation_sites", "first_layer_parameters", "gradient_records", "prediction_snapshot",
    "quantile_records", "site_rule", "tensor_histogram", "unit_statistics",
]
