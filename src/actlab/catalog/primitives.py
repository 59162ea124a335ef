"""Numerically stable building blocks shared by the catalog's formulas."""

from __future__ import annotations

import math

import torch

Tensor = torch.Tensor

SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

#: SELU's constants (Klambauer et al. 2017), to the precision PyTorch and JAX use.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def softplus(x: Tensor) -> Tensor:
    """log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)."""
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))


def sigmoid_prime(s: Tensor) -> Tensor:
    """σ'(x) written in terms of s = σ(x)."""
    return s * (1 - s)


def normal_pdf(x: Tensor) -> Tensor:
    """The standard normal density φ(x)."""
    return INV_SQRT_2PI * torch.exp(-0.5 * x * x)


def normal_cdf(x: Tensor) -> Tensor:
    """The standard normal distribution function Φ(x)."""
    return 0.5 * torch.erfc(-x / SQRT_2)


def heaviside(condition: Tensor, like: Tensor) -> Tensor:
    """1 where `condition` holds, else 0, in the dtype of `like`."""
    return condition.to(like.dtype)


def at_infinity(y: Tensor, x: Tensor, left: float, right: float) -> Tensor:
    """Replace f(±inf), where a product like inf·0 gave nan, by the known limits."""
    return torch.where(x == -math.inf, torch.full_like(y, left),
                       torch.where(x == math.inf, torch.full_like(y, right), y))


def constant_like(x: Tensor, value: float) -> Tensor:
    return torch.full_like(x, value)


def sech_squared(x: Tensor) -> Tensor:
    """sech²(x) = 1 − tanh²(x), as 4e^{-2|x|}/(1 + e^{-2|x|})²: accurate where tanh → ±1."""
    e = torch.exp(-2 * x.abs())
    return 4 * e / (1 + e) ** 2
