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


def mlp_widths(depth: int, width: int, widths: Sequence[int] | None) -> tuple[int, ...]:
    """The hidden widths: `widths` when given, else `depth` layers of `width` units."""
    if widths is not None:
        values = tuple(widths)
        if not values or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0
                                 for w in values):
            raise ModelOptionError(f"mlp option widths must be positive whole numbers, "
                                   f"got {widths!r}")
        return values
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ModelOptionError(f"mlp option depth must be a whole number >= 0, got {depth!r}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ModelOptionError(f"mlp option width must be a whole number >= 1, got {width!r}")
    return (width,) * depth
