"""Piecewise-linear activations: backward from a 1-byte mask of pieces.

The derivative of ReLU, leaky ReLU, ReLU6, hardtanh, the shrinkages, hard sigmoid...
takes two (at most three) constant values, so the backward needs to know only which
piece each element fell on: a bool per element (uint8 codes for three pieces), a
quarter of what saving the input or the output costs. Pieces and their derivatives
follow each spec's `derivative`, kinks included (relu′(0) = 0, leaky_relu′(0) = slope,
hardtanh′(±1) = 0, hardshrink′(±λ) = 0...); the forward is PyTorch's native op where
the spec has one for these parameters, else the spec's formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch

from actlab.catalog.spec import ActivationSpec
from actlab.kernels.fused import FusedKernel, KernelBuilder

Tensor = torch.Tensor


def _key(spec: ActivationSpec, bound: Mapping[str, Any]) -> tuple:
    return (spec.name, "mask", tuple(sorted(spec.math_values(bound).items())))


def _forward(spec: ActivationSpec, bound: Mapping[str, Any]) -> Callable[[Tensor], Tensor]:
    values = spec.math_values(bound)
    if spec.uses_native(bound):
        return lambda x: spec.native(x, **values)
    return lambda x: spec.forward(x, **values)


def _masked(spec: ActivationSpec, bound: Mapping[str, Any], mask: Callable[[Tensor], Tensor],
            levels: tuple[float, ...]) -> FusedKernel:
    return FusedKernel(key=_key(spec, bound), saves="mask",
                       value=_forward(spec, bound), mask=mask, levels=levels)


def _between(low: float, high: float) -> Callable[[Tensor], Tensor]:
    """low < x < high (the linear piece of a clipped function; its ends belong to the flat
    pieces, as PyTorch's hardtanh and relu6 backward decide)."""
    return lambda x: (x > low) & (x < high)


def _relu(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    slope, max_value, threshold = p["negative_slope"], p["max_value"], p["threshold"]
    upper = math.inf if max_value is None else max_value
    if slope == 0:
        if max_value is None:
            # x > θ alone: at x = +inf this gives PyTorch's slope 1 (the spec's x < ∞ gives 0).
            return _masked(spec, p, lambda x: x > threshold, (0.0, 1.0))
        # A negative threshold lets (θ, 0) through, but the cap's clipping at 0 flattens it.
        return _masked(spec, p, _between(max(threshold, 0.0), upper), (0.0, 1.0))
    if max_value is None and threshold == 0:
        return _masked(spec, p, lambda x: x > 0, (slope, 1.0))

    def pieces(x: Tensor) -> Tensor:
        # Keras's relu with slope and cap or threshold: 1 inside, slope below θ, and 0 on the
        # cap and at θ itself (the spec's derivative): three pieces, uint8 codes 0, 1, 2.
        inside = (x > threshold) & (x < upper)
        if threshold < 0 and max_value is not None:
            inside = inside & (x > 0)
        below = x < threshold
        return inside.to(torch.uint8) + 2 * below.to(torch.uint8)

    return _masked(spec, p, pieces, (0.0, 1.0, slope))


def _leaky(slope_of: Callable[[Mapping[str, Any]], float]) -> KernelBuilder:
    def build(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
        return _masked(spec, p, lambda x: x > 0, (slope_of(p), 1.0))
    return build


def _prelu(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel | None:
    # A learned (tensor) slope needs the input itself for its own gradient: no mask then.
    if isinstance(p["weight"], Tensor):
        return None
    weight = float(p["weight"])
    return _masked(spec, p, lambda x: x > 0, (weight, 1.0))


def _threshold(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    theta = p["threshold"] if "threshold" in p else p["theta"]
    return _masked(spec, p, lambda x: x > theta, (0.0, 1.0))


def _shrink(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    lambd = p["lambd"]
    return _masked(spec, p, lambda x: x.abs() > lambd, (0.0, 1.0))


def _hard_sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    slope, offset = p["slope"], p["offset"]
    return _masked(spec, p, _between(-offset / slope, (1 - offset) / slope), (0.0, slope))


def _sparse_sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    return _masked(spec, p, lambda x: x.abs() < 1, (0.0, 0.5))


def _binary_step(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    # f′ = 0 everywhere it exists: nothing to save.
    return FusedKernel(key=_key(spec, p), saves="nothing", value=_forward(spec, p),
                       levels=(0.0,))


BUILDERS: dict[str, KernelBuilder] = {
    "relu": _relu,
    "leaky_relu": _leaky(lambda p: p["negative_slope"]),
    "rrelu": _leaky(lambda p: (p["lower"] + p["upper"]) / 2),
    "prelu": _prelu,
    "relu6": lambda spec, p: _masked(spec, p, _between(0.0, 6.0), (0.0, 1.0)),
    "hardtanh": lambda spec, p: _masked(spec, p, _between(p["min_val"], p["max_val"]),
                                        (0.0, 1.0)),
    "threshold": _threshold,
    "thresholded_relu": _threshold,
    "hardshrink": _shrink,
    "softshrink": _shrink,
    "hard_sigmoid": _hard_sigmoid,
    "sparse_sigmoid": _sparse_sigmoid,
    "binary_step": _binary_step,
}
