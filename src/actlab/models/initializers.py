"""Weight initialisers, named as in Keras, with Keras's and TensorFlow's exact definitions.

Keras's variance-scaling family draws with variance `scale / n`, where n is fan_in,
fan_out or their mean; its "normal" variants are truncated at two standard deviations
and rescaled so that the variance stays `scale / n`:

    lecun_normal    scale 1, fan_in     (SELU's initialisation, Klambauer et al. 2017)
    he_normal       scale 2, fan_in     (He et al. 2015)
    glorot_normal   scale 1, fan_avg    (Glorot & Bengio 2010)
    *_uniform       U(-limit, limit), limit = sqrt(3 scale / n)

`orthogonal` is a (semi-)orthogonal matrix (Saxe et al. 2014), `torch_default` leaves
PyTorch's own initialisation in place.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from actlab.models.errors import ModelOptionError

# Standard deviation of a unit normal truncated to [-2, 2]: Keras divides by it.
TRUNCATED_NORMAL_STD = 0.87962566103423978


def fans(weight: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a dense (out, in) or convolution (out, in, *kernel) weight."""
    if weight.dim() < 2:
        raise ModelOptionError(f"fan_in and fan_out need a weight with at least 2 dimensions, "
                               f"got shape {tuple(weight.shape)}")
    receptive = math.prod(weight.shape[2:])
    return weight.shape[1] * receptive, weight.shape[0] * receptive


@torch.no_grad()
def tf_truncated_normal_(tensor: torch.Tensor, std: float, mean: float = 0.0) -> torch.Tensor:
    """TensorFlow's truncated normal: N(mean, std²) with draws beyond 2 std drawn again.

    Redrawing outside [mean - 2 std, mean + 2 std] gives exactly the normal truncated to
    that interval, which `torch.nn.init.trunc_normal_` samples directly.
    """
    return nn.init.trunc_normal_(tensor, mean=mean, std=std, a=mean - 2 * std, b=mean + 2 * std)


@torch.no_grad()
def variance_scaling_(tensor: torch.Tensor, scale: float, mode: str,
                      distribution: str) -> torch.Tensor:
    """Keras's VarianceScaling: variance scale / n with n = fan_in, fan_out or fan_avg."""
    fan_in, fan_out = fans(tensor)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    if distribution == "truncated_normal":
        return tf_truncated_normal_(tensor, math.sqrt(scale / n) / TRUNCATED_NORMAL_STD)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * scale / n)
        return nn.init.uniform_(tensor, -limit, limit)
    raise ModelOptionError(f"unknown variance-scaling distribution {distribution!r}")


def _scaling(scale: float, mode: str, distribution: str) -> Callable[[torch.Tensor], object]:
    return lambda w: variance_scaling_(w, scale, mode, distribution)


WEIGHT_INITIALIZERS: dict[str, Callable[[torch.Tensor], object] | None] = {
    "lecun_normal": _scaling(1.0, "fan_in", "truncated_normal"),
    "lecun_uniform": _scaling(1.0, "fan_in", "uniform"),
    "he_normal": _scaling(2.0, "fan_in", "truncated_normal"),
    "he_uniform": _scaling(2.0, "fan_in", "uniform"),
    "glorot_normal": _scaling(1.0, "fan_avg", "truncated_normal"),
    "glorot_uniform": _scaling(1.0, "fan_avg", "uniform"),
    "orthogonal": nn.init.orthogonal_,
    "torch_default": None,
}


def initializer_names() -> tuple[str, ...]:
    """The names `init_layer` accepts."""
    return tuple(WEIGHT_INITIALIZERS)


@torch.no_grad()
def init_layer(layer: nn.Module, weight_init: str, bias: float = 0.0) -> None:
    """Initialise a Linear or Conv layer's weight by name and set its bias to a constant.

    With `torch_default` both keep PyTorch's initialisation.
    """
    if weight_init not in WEIGHT_INITIALIZERS:
        raise ModelOptionError(f"unknown weight initialiser {weight_init!r}; choose one of "
                               f"{', '.join(WEIGHT_INITIALIZERS)}")
    initializer = WEIGHT_INITIALIZERS[weight_init]
    if initializer is None:
        return
    initializer(layer.weight)
    if getattr(layer, "bias", None) is not None:
        layer.bias.fill_(bias)


@torch.no_grad()
def init_tf_truncated(layer: nn.Module, std: float, bias: float) -> None:
    """Weight from TensorFlow's truncated normal with `std`, bias the constant `bias`."""
    tf_truncated_normal_(layer.weight, std)
    layer.bias.fill_(bias)
