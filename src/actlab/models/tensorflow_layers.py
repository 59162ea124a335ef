"""TensorFlow's max-pooling with SAME padding and its local response normalisation, in torch.

SAME pooling: out = ceil(in / stride); the total padding max((out-1)·stride + k - in, 0)
is split with the smaller half before and the larger after, and padded values never win
the max. Symmetric torch padding would shift the windows, so the padding is explicit.

TensorFlow's LRN (`tf.nn.local_response_normalization`):

    sqr_sum[n, c, h, w] = sum(x[n, c - r : c + r + 1, h, w] ** 2)
    out = x / (bias + alpha * sqr_sum) ** beta

`torch.nn.LocalResponseNorm(size, alpha, beta, k)` divides by (k + alpha/size · sum)^beta
over `size` channels centred on c, so size = 2r + 1 and alpha_torch = alpha_tf · size.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) padding of one spatial axis under TensorFlow's SAME rule."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameMaxPool2d(nn.Module):
    """`tf.nn.max_pool` with padding='SAME' on (N, C, H, W) inputs."""

    def __init__(self, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = same_padding(x.shape[-2], self.kernel_size, self.stride)
        left, right = same_padding(x.shape[-1], self.kernel_size, self.stride)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom), value=-math.inf)
        return F.max_pool2d(x, self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding='SAME'"

    @staticmethod
    def output_size(size: int, stride: int) -> int:
        """The spatial size after SAME pooling: ceil(size / stride)."""
        return math.ceil(size / stride)


def local_response_norm_from_tensorflow(depth_radius: int = 5, bias: float = 1.0,
                                        alpha: float = 1.0, beta: float = 0.5
                                        ) -> nn.LocalResponseNorm:
    """The torch module equal to `tf.nn.local_response_normalization` with these arguments.

    Defaults are TensorFlow's (depth_radius 5, bias 1, alpha 1, beta 0.5).
    """
    size = 2 * depth_radius + 1
    return nn.LocalResponseNorm(size=size, alpha=alpha * size, beta=beta, k=bias)
