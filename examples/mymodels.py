"""Your own model and data, the way actlab studies them (see the README, "Your own model").

    cd examples
    actlab compare --model mymodels.py:tiny_net --dataset mymodels.py:blobs \
        -a relu,gelu,tanh --seeds 2 --epochs 3 -o runs/tiny

A model factory takes `act_layer` (called once per activation site, as timm's `act_layer`
and torchvision's `activation_layer`) and returns an nn.Module; it may also take
`num_classes` and `input_shape`, which actlab fills in from the data. A dataset factory
returns (train, test) torch Datasets of (input, label) pairs.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils.data import TensorDataset


def tiny_net(act_layer, hidden: int = 32, depth: int = 2, num_classes: int = 3,
             input_shape: tuple[int, ...] = (2,)) -> nn.Module:
    """An MLP: `depth` hidden layers of `hidden` units, act_layer after each."""
    layers: list[nn.Module] = [nn.Flatten()]
    width = math.prod(input_shape)
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), act_layer()]
        width = hidden
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def _split(points: torch.Tensor, labels: torch.Tensor, test_fraction: float
           ) -> tuple[TensorDataset, TensorDataset]:
    cut = int(round(len(labels) * (1 - test_fraction)))
    return (TensorDataset(points[:cut], labels[:cut]),
            TensorDataset(points[cut:], labels[cut:]))


def blobs(n: int = 1200, spread: float = 1.0, seed: int = 0, test_fraction: float = 0.25
          ) -> tuple[TensorDataset, TensorDataset]:
    """Three overlapping Gaussian blobs in the plane (`spread`: their standard deviation)."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[0.0, 2.0], [1.8, -1.0], [-1.8, -1.0]])
    labels = torch.randint(0, 3, (n,), generator=generator)
    points = centres[labels] + spread * torch.randn(n, 2, generator=generator)
    return _split(points, labels, test_fraction)


def spirals(n: int = 1500, noise: float = 0.2, seed: int = 0, test_fraction: float = 0.25
            ) -> tuple[TensorDataset, TensorDataset]:
    """Three interleaved spiral arms: hard for a network without a good nonlinearity."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (n,), generator=generator)
    radius = torch.rand(n, generator=generator)
    angle = 4.0 * radius + labels * (2 * math.pi / 3) + noise * torch.randn(n, generator=generator)
    points = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    return _split(points, labels, test_fraction)
