"""Seed 003's CIFAR-10 network: the TensorFlow CIFAR-10 tutorial's model (cifar10.py).

conv1 5x5x64 -> f -> max-pool 3/2 (SAME) -> LRN -> conv2 5x5x64 -> f -> LRN
-> max-pool 3/2 (SAME) -> local3 FC 384 -> f -> local4 FC 192 -> f -> linear to classes.

It takes 24x24 crops (the trainer crops the 32x32 images). Initialisation is the
tutorial's: TensorFlow truncated normals with std 5e-2 (convolutions), 0.04 (local3,
local4) and 1/192 (output); biases 0.0 (conv1, output) and 0.1 (conv2, local3, local4).
LRN uses depth_radius 4, bias 1.0, alpha 0.001/9, beta 0.75. The tutorial puts weight
decay 0.004 on the weights of local3 and local4 only (`WEIGHT_DECAY_PARAMETERS`).
"""

from __future__ import annotations

import torch
from torch import nn

from actlab.models.activation_sites import ActivationFactory, ActivationNetwork
from actlab.models.initializers import init_tf_truncated
from actlab.models.tensorflow_layers import SameMaxPool2d, local_response_norm_from_tensorflow

CIFAR10_CNN_INPUT = (3, 24, 24)
LRN_ARGUMENTS = {"depth_radius": 4, "bias": 1.0, "alpha": 0.001 / 9.0, "beta": 0.75}
TUTORIAL_WEIGHT_DECAY = 0.004


class Cifar10CNN(ActivationNetwork):
    """The TensorFlow CIFAR-10 tutorial's convolutional network, with a pluggable activation."""

    WEIGHT_DECAY_PARAMETERS = ("local3.weight", "local4.weight")

    def __init__(self, factory: ActivationFactory,
                 input_shape: tuple[int, ...] = CIFAR10_CNN_INPUT,
                 num_classes: int = 10) -> None:
        super().__init__()
        m = factory.width_multiplier
        channels, height, width = input_shape
        self.conv1 = nn.Conv2d(channels, 64 * m, kernel_size=5, padding=2)
        self.add_activation("act1", factory)
        self.pool1 = SameMaxPool2d(3, 2)
        self.norm1 = local_response_norm_from_tensorflow(**LRN_ARGUMENTS)
        self.conv2 = nn.Conv2d(64, 64 * m, kernel_size=5, padding=2)
        self.add_activation("act2", factory)
        self.norm2 = local_response_norm_from_tensorflow(**LRN_ARGUMENTS)
        self.pool2 = SameMaxPool2d(3, 2)
        pooled_h = SameMaxPool2d.output_size(SameMaxPool2d.output_size(height, 2), 2)
        pooled_w = SameMaxPool2d.output_size(SameMaxPool2d.output_size(width, 2), 2)
        self.local3 = nn.Linear(64 * pooled_h * pooled_w, 384 * m)
        self.add_activation("act3", factory)
        self.local4 = nn.Linear(384, 192 * m)
        self.add_activation("act4", factory)
        self.softmax_linear = nn.Linear(192, num_classes)
        init_tf_truncated(self.conv1, 5e-2, 0.0)
        init_tf_truncated(self.conv2, 5e-2, 0.1)
        init_tf_truncated(self.local3, 0.04, 0.1)
        init_tf_truncated(self.local4, 0.04, 0.1)
        init_tf_truncated(self.softmax_linear, 1 / 192.0, 0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(self.pool1(self.act1(self.conv1(x))))
        x = self.pool2(self.norm2(self.act2(self.conv2(x))))
        x = self.act3(self.local3(x.flatten(1)))
        x = self.act4(self.local4(x))
        return self.softmax_linear(x)

    def weight_decay_parameters(self) -> list[tuple[str, nn.Parameter]]:
        """The parameters the tutorial decays (the weights of local3 and local4)."""
        named = dict(self.named_parameters())
        return [(name, named[name]) for name in self.WEIGHT_DECAY_PARAMETERS]
