"""Deep fully connected networks initialised as mean-field theory assumes (Poole 2016,
Schoenholz 2017): every weight W_ij ~ N(0, σ_w²/fan_in), every bias b_i ~ N(0, σ_b²).

With these draws the pre-activations of a wide random network follow
q^l = σ_w² E[φ(√q^{l-1} z)²] + σ_b², and the depth scale ξ_c of `actlab.analysis` bounds
how deep such a network can be trained (Schoenholz et al. 2017: up to about 6 ξ_c).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from actlab.models.activation_sites import ActivationFactory
from actlab.models.errors import ModelOptionError
from actlab.models.mlp import MLP


def _variance(name: str, value: float, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ModelOptionError(f"mean_field_mlp option {name} must be a finite number "
                               f"{'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


class MeanFieldMLP(MLP):
    """An MLP whose weights are N(0, σ_w²/fan_in) and biases N(0, σ_b²), read-out included."""

    def __init__(self, factory: ActivationFactory, input_shape: tuple[int, ...],
                 num_classes: int, widths: Sequence[int], sigma_w2: float = 1.0,
                 sigma_b2: float = 0.0) -> None:
        self.sigma_w2 = _variance("sigma_w2", sigma_w2, positive=True)
        self.sigma_b2 = _variance("sigma_b2", sigma_b2, positive=False)
        super().__init__(factory, input_shape, num_classes, widths, init="torch_default")
        with torch.no_grad():
            for layer in (*self.hidden, self.output):
                layer.weight.normal_(0.0, math.sqrt(self.sigma_w2 / layer.in_features))
                layer.bias.normal_(0.0, math.sqrt(self.sigma_b2))

    def extra_repr(self) -> str:
        return f"sigma_w2={self.sigma_w2:g}, sigma_b2={self.sigma_b2:g}"
