"""Multi-layer perceptrons of any depth and width with a chosen initialisation.

flatten -> [Linear -> f -> (AlphaDropout | Dropout)] x depth -> Linear (logits).
For SELU's self-normalisation (seed 002) use init="lecun_normal", alpha_dropout > 0 and
standardised inputs (the trainer's `standardize_inputs`, or a dataset's own option).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from actlab.limits import MAX_PARAMETERS
from actlab.models.activation_sites import ActivationFactory, ActivationNetwork
from actlab.models.errors import ModelOptionError
from actlab.models.initializers import init_layer


class MLP(ActivationNetwork):
    """Fully connected network: hidden layers of the given widths, then a linear output."""

    def __init__(self, factory: ActivationFactory, input_shape: tuple[int, ...],
                 num_classes: int, widths: Sequence[int], init: str = "glorot_uniform",
                 bias_init: float = 0.0, dropout: float = 0.0,
                 alpha_dropout: float = 0.0) -> None:
        super().__init__()
        if dropout and alpha_dropout:
            raise ModelOptionError("choose either dropout or alpha_dropout, not both "
                                   f"(got dropout={dropout}, alpha_dropout={alpha_dropout})")
        for name, rate in (("dropout", dropout), ("alpha_dropout", alpha_dropout)):
            if not 0.0 <= rate < 1.0:
                raise ModelOptionError(f"mlp option {name} must lie in [0, 1), got {rate!r}")
        self.widths = tuple(int(w) for w in widths)
        # Counted before anything is allocated: width = 10**11 is a typo, not a model.
        MAX_PARAMETERS.check(
            mlp_parameter_count(math.prod(input_shape), self.widths, num_classes,
                                factory.width_multiplier),
            f"an mlp with hidden widths {_widths_text(self.widths)}")
        self.hidden = nn.ModuleList()
        self.drops = nn.ModuleList()
        in_features = math.prod(input_shape)
        for index, width in enumerate(self.widths, start=1):
            layer = nn.Linear(in_features, width * factory.width_multiplier)
            init_layer(layer, init, bias_init)
            self.hidden.append(layer)
            self.add_activation(f"act{index}", factory)
            if alpha_dropout:
                self.drops.append(nn.AlphaDropout(alpha_dropout))
            elif dropout:
                self.drops.append(nn.Dropout(dropout))
            else:
                self.drops.append(nn.Identity())
            in_features = width
        self.output = nn.Linear(in_features, num_classes)
        init_layer(self.output, init, bias_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for index, (layer, drop) in enumerate(zip(self.hidden, self.drops, strict=True), start=1):
            x = drop(getattr(self, f"act{index}")(layer(x)))
        return self.output(x)


def mlp_parameter_count(in_features: int, widths: Sequence[int], num_classes: int,
                        multiplier: int = 1) -> int:
    """The weights and biases of an MLP (a gated activation doubles each hidden layer)."""
    total = 0
    for width in widths:
        total += (in_features + 1) * width * multiplier
        in_features = width
    return total + (in_features + 1) * num_classes


def _widths_text(widths: Sequence[int]) -> str:
    if len(set(widths)) == 1 and len(widths) > 3:
        return f"{len(widths)} x {widths[0]:,}"
    text = ", ".join(f"{w:,}" for w in widths)
    return text if len(text) <= 60 else text[:57] + "..."


#: The most hidden layers an MLP may have (deeper is a typo, not a network).
MAX_DEPTH = 10_000


def mlp_widths(depth: int, width: int, widths: Sequence[int] | None) -> tuple[int, ...]:
    """The hidden widths: `widths` when given, else `depth` layers of `width` units."""
    if widths is not None:
        if not isinstance(widths, Sequence) or isinstance(widths, str):
            raise ModelOptionError(f"mlp option widths must be a list of whole numbers, "
                                   f"got {str(widths)[:60]}")
        values = tuple(widths)
        if not values or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0
                                 for w in values):
            raise ModelOptionError(f"mlp option widths must be positive whole numbers, "
                                   f"got {str(widths)[:60]}")
        if len(values) > MAX_DEPTH:
            raise ModelOptionError(f"mlp option widths lists {len(values):,} layers, at most "
                                   f"{MAX_DEPTH:,}")
        return values
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ModelOptionError(f"mlp option depth must be a whole number >= 0, got {depth!r}")
    if depth > MAX_DEPTH:
        raise ModelOptionError(f"mlp option depth must be at most {MAX_DEPTH:,}, got {depth:,}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ModelOptionError(f"mlp option width must be a whole number >= 1, got {width!r}")
    return (width,) * depth
