"""The MNIST-1D paper's baseline MLP and CNN (Greydanus 2020, github.com/greydanus/mnist1d).

As in the paper's repository (`models.py`: MLPBase, ConvBase), with the ReLU replaced by the
activation under study and PyTorch's default initialisation, which the repository keeps:

- mnist1d_mlp: Linear(40, 100) -> f -> h; h + f(Linear(100, 100) h) (a residual block);
  Linear(100, 10). 15,210 parameters.
- mnist1d_cnn: the signal as 1 channel; Conv1d(1, 25, 5, stride 2, padding 1) -> f ->
  Conv1d(25, 25, 3, stride 2, padding 1) -> f -> the same again -> f; flatten (25 x 5)
  -> Linear(125, 10). 5,210 parameters.

The table of the paper and of the repository's README: MLP 68 %, CNN 94 %
test accuracy on the default MNIST-1D, trained with Adam (lr 0.01, batch 100) for 6,000
steps (`train.py`'s `get_model_args`, with `total_steps = 6000` in the quickstart).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from actlab.models.activation_sites import ActivationFactory, ActivationNetwork
from actlab.models.errors import ModelOptionError

MLP_HIDDEN = 100
CNN_CHANNELS = 25
#: (kernel, stride, padding) of the three convolutions.
CNN_LAYERS = ((5, 2, 1), (3, 2, 1), (3, 2, 1))


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ModelOptionError(f"{name} must be a whole number >= 1, got {value!r}")
    return value


def conv_output_length(length: int) -> int:
    """The length of the signal after the three strided convolutions (0: too short)."""
    for kernel, stride, padding in CNN_LAYERS:
        length = (length + 2 * padding - kernel) // stride + 1
        if length < 1:
            return 0
    return length


class Mnist1dMLP(ActivationNetwork):
    """MNIST-1D's MLPBase: a hidden layer, a residual hidden layer, a linear read-out."""

    def __init__(self, factory: ActivationFactory, input_shape: tuple[int, ...],
                 num_classes: int, hidden: int = MLP_HIDDEN) -> None:
        super().__init__()
        hidden = _positive("mnist1d_mlp option hidden", hidden)
        m = factory.width_multiplier
        self.linear1 = nn.Linear(math.prod(input_shape), hidden * m)
        self.add_activation("act1", factory)
        self.linear2 = nn.Linear(hidden, hidden * m)
        self.add_activation("act2", factory)
        self.linear3 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act1(self.linear1(x.flatten(1)))
        h = h + self.act2(self.linear2(h))
        return self.linear3(h)


class Mnist1dCNN(ActivationNetwork):
    """MNIST-1D's ConvBase: three strided 1-D convolutions and a linear read-out."""

    def __init__(self, factory: ActivationFactory, input_shape: tuple[int, ...],
                 num_classes: int, channels: int = CNN_CHANNELS) -> None:
        super().__init__()
        channels = _positive("mnist1d_cnn option channels", channels)
        m = factory.width_multiplier
        length = input_shape[-1]
        convs = []
        in_channels = 1
        for index, (kernel, stride, padding) in enumerate(CNN_LAYERS, start=1):
            convs.append(nn.Conv1d(in_channels, channels * m, kernel, stride=stride,
                                   padding=padding))
            in_channels = channels
            self.add_activation(f"act{index}", factory)
        self.conv1, self.conv2, self.conv3 = convs
        self.linear = nn.Linear(channels * conv_output_length(length), num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(len(x), 1, x.shape[-1])
        h = self.act1(self.conv1(h))
        h = self.act2(self.conv2(h))
        h = self.act3(self.conv3(h))
        return self.linear(h.flatten(1))
