"""Seed 000's shallow model: one Dense layer straight to the classes, then the activation.

Keras's `Sequential([Dense(3, input_shape=(10,)), Activation(f)])`: the kernel is
Glorot-uniform, the bias zero (Keras's defaults), and the network's output is the
activation's output (not logits).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from actlab.models.activation_sites import ActivationFactory, ActivationNetwork
from actlab.models.initializers import init_layer


class ShallowDense(ActivationNetwork):
    """Dense(num_classes) on the flattened input, followed by the activation."""

    def __init__(self, factory: ActivationFactory, input_shape: tuple[int, ...],
                 num_classes: int, weight_init: str = "glorot_uniform") -> None:
        super().__init__()
        in_features = math.prod(input_shape)
        self.dense = nn.Linear(in_features, num_classes * factory.width_multiplier)
        init_layer(self.dense, weight_init, bias=0.0)
        self.add_activation("activation", factory)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.dense(x.flatten(1)))
