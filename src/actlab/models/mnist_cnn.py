"""Seed 003's MNIST network (TensorFlow's "Deep MNIST for experts" model).

conv 5x5x32 (SAME) -> f -> max-pool 2 -> conv 5x5x64 (SAME) -> f -> max-pool 2
-> FC 1024 -> f -> dropout 0.5 -> FC 10 (logits).

Every weight is drawn from TensorFlow's truncated normal with std 0.1 and every bias is
0.1, as in the original. With ReLU it has 3,274,634 parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from actlab.models.activation_sites import ActivationFactory, ActivationNetwork
from actlab.models.initializers import init_tf_truncated

MNIST_CNN_INPUT = (1, 28, 28)
INIT_STD = 0.1
INIT_BIAS = 0.1


class MnistCNN(ActivationNetwork):
    """Two 5x5 convolutions with 2x2 max-pooling, FC 1024 with dropout, FC to the classes."""

    def __init__(self, factory: ActivationFactory, input_shape: tuple[int, ...] = MNIST_CNN_INPUT,
                 num_classes: int = 10, dropout: float = 0.5) -> None:
        super().__init__()
        m = factory.width_multiplier
        channels, height, width = input_shape
        self.conv1 = nn.Conv2d(channels, 32 * m, kernel_size=5, padding=2)
        self.add_activation("act1", factory)
        self.pool1 = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(32, 64 * m, kernel_size=5, padding=2)
        self.add_activation("act2", factory)
        self.pool2 = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(64 * (height // 4) * (width // 4), 1024 * m)
        self.add_activation("act3", factory)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(1024, num_classes)
        for layer in (self.conv1, self.conv2, self.fc1, self.fc2):
            init_tf_truncated(layer, INIT_STD, INIT_BIAS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.act1(self.conv1(x)))
        x = self.pool2(self.act2(self.conv2(x)))
        x = self.dropout(self.act3(self.fc1(x.flatten(1))))
        return self.fc2(x)
