"""Piecewise-linear activations: backward from a 1-byte mask of pieces.

The derivative of ReLU, leaky ReLU, ReLU6, hardtanh, the shrinkages, hard sigmoid...
takes two (at most three) constant values, so the backward needs to know only which
piece each element fell on: a uint8 code per element, a quarter of what saving the
input or the output costs. Pieces and their derivatives
follow each spec's `derivative`, kinks included (relu′(0) = 0, leaky_relu′(0) = slope,
hardtanh′(±1) = 0, hardshrink′(±λ) = 0...); the forward is PyTorch's native op where
the spec has one for these parameters, else the spec's formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch

from actlab.catalog.families.sigmoid import backward_slope
from actlab.catalog.spec import ActivationSpec
from actlab.kernels.fused import SAME_SIZE_INT, FusedKernel, KernelBuilder

Tensor = torch.Tensor


def _key(spec: ActivationSpec, bound: Mapping[str, Any]) -> tuple:
    # A flavor variant (origin "flavor", source its framework) has kernels of its own.
    return (spec.name, spec.source, "mask", tuple(sorted(spec.math_values(bound).items())))


def _forward(spec: ActivationSpec, bound: Mapping[str, Any]) -> Callable[[Tensor], Tensor]:
    values = spec.math_values(bound)
    if spec.uses_native(bound):
        return lambda x: spec.native(x, **values)
    return lambda x: spec.forward(x, **values)


Mask = Callable[[Tensor], Tensor]


def _masked(spec: ActivationSpec, bound: Mapping[str, Any], mask: Mask,
            levels: tuple[float, ...], value: Callable[[Tensor], Tensor] | None = None
            ) -> FusedKernel:
    """A mask kernel: f from `value` (default: the native op where the spec has one for
    these parameters, else the spec's formula), pieces from `mask`."""
    return FusedKernel(key=_key(spec, bound), saves="mask",
                       value=value or _forward(spec, bound), mask=mask, levels=levels)


def _u8(op: Callable[..., Tensor], x: Tensor, *args: Any) -> Tensor:
    """A comparison written straight into uint8 (the codes the backward reads)."""
    out = torch.empty(x.shape, dtype=torch.uint8, device=x.device)
    return op(x, *args, out=out)


def _above(theta: float) -> Mask:
    """x > θ as 0/1 codes."""
    return lambda x: _u8(torch.gt, x, theta)


def _positive_or_nan(x: Tensor) -> Tensor:
    """x > 0, or nan: ReLU's pieces as PyTorch's backward reads them from its output. The
    float's bit pattern read as a signed integer is > 0 exactly there (−0 and the
    negatives have the sign bit set); an integer comparison is faster on CPU."""
    return _u8(torch.gt, x.view(SAME_SIZE_INT[x.dtype]), 0)


def _between(low: float, high: float) -> Mask:
    """low < x < high (the linear piece of a clipped function; its ends belong to the flat
    pieces, as PyTorch's hardtanh and relu6 backward decide)."""
    return lambda x: _u8(torch.gt, x, low).bitwise_and_(_u8(torch.lt, x, high))


def _closed_between(low: float, high: float) -> Mask:
    """low ≤ x ≤ high: the linear piece owns its ends (JAX's hard_tanh)."""
    return lambda x: _u8(torch.ge, x, low).bitwise_and_(_u8(torch.le, x, high))


def _at_least(theta: float) -> Mask:
    """x ≥ θ as 0/1 codes (JAX's leaky_relu: the identity piece owns 0)."""
    return lambda x: _u8(torch.ge, x, theta)


def _clipped_line(slope: float, offset: float) -> Mask:
    """0 ≤ slope·x + offset ≤ 1, the line computed in x's dtype (Keras 2's hard_sigmoid:
    TensorFlow's clip_by_value passes the gradient at both ends)."""
    def inside(x: Tensor) -> Tensor:
        line = x * slope + offset
        return _u8(torch.ge, line, 0.0).bitwise_and_(_u8(torch.le, line, 1.0))
    return inside


def _outside(lambd: float) -> Mask:
    """|x| > λ (the shrinkages' moving pieces; ±λ itself is flat)."""
    return lambda x: _u8(torch.gt, x.abs(), lambd)


def _relu(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    slope, max_value, threshold = p["negative_slope"], p["max_value"], p["threshold"]
    upper = math.inf if max_value is None else max_value
    if slope == 0:
        if max_value is None:
            # x > θ alone: at x = +inf this gives PyTorch's slope 1 (the spec's x < ∞ gives 0).
            mask = _positive_or_nan if threshold == 0 else _above(threshold)
            return _masked(spec, p, mask, (0.0, 1.0))
        # A negative threshold lets (θ, 0) through, but the cap's clipping at 0 flattens it.
        return _masked(spec, p, _between(max(threshold, 0.0), upper), (0.0, 1.0))
    if max_value is None and threshold == 0:
        return _masked(spec, p, _above(0.0), (slope, 1.0))

    def pieces(x: Tensor) -> Tensor:
        # Keras's relu with slope and cap or threshold: 1 inside, slope below θ, and 0 on the
        # cap and at θ itself (the spec's derivative): three pieces, codes 0, 1, 2.
        inside = (x > threshold) & (x < upper)
        if threshold < 0 and max_value is not None:
            inside &= x > 0
        return (inside.to(torch.uint8) + 2 * (x < threshold).to(torch.uint8))

    return _masked(spec, p, pieces, (0.0, 1.0, slope))


def _leaky(slope_of: Callable[[Mapping[str, Any]], float]) -> KernelBuilder:
    def build(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
        return _masked(spec, p, _above(0.0), (slope_of(p), 1.0))
    return build


def _prelu(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel | None:
    # A learned (tensor) slope needs the input itself for its own gradient: no mask then.
    if isinstance(p["weight"], Tensor):
        return None
    weight = float(p["weight"])
    # where(x > 0, x, a·x) is leaky_relu(x, a), element for element, in either layout.
    return _masked(spec, p, _above(0.0), (weight, 1.0),
                   value=lambda x: torch.nn.functional.leaky_relu(x, weight))


def _threshold(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    theta = p["threshold"] if "threshold" in p else p["theta"]
    return _masked(spec, p, _above(theta), (0.0, 1.0))


def _shrink(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    return _masked(spec, p, _outside(p["lambd"]), (0.0, 1.0))


def _hard_sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    slope, offset = p["slope"], p["offset"]
    return _masked(spec, p, _between(-offset / slope, (1 - offset) / slope),
                   (0.0, backward_slope(slope, offset)))


def _sparse_sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    return _masked(spec, p, _between(-1.0, 1.0), (0.0, 0.5))


def _binary_step(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    # f′ = 0 everywhere it exists: nothing to save.
    return FusedKernel(key=_key(spec, p), saves="nothing", value=_forward(spec, p),
                       levels=(0.0,))


def _jax_hardtanh(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    low, high = p["min_val"], p["max_val"]
    return _masked(spec, p, _closed_between(low, high), (0.0, 1.0))


def _jax_leaky(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    slope = p["negative_slope"]
    return _masked(spec, p, _at_least(0.0), (slope, 1.0))


def _keras2_hard_sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    slope, offset = p["slope"], p["offset"]
    return _masked(spec, p, _clipped_line(slope, offset), (0.0, slope))


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

#: Mask kernels of flavor variants whose pieces own their ends differently from PyTorch's:
#: (catalog name, framework) -> builder.
FLAVOR_BUILDERS: dict[tuple[str, str], KernelBuilder] = {
    ("hardtanh", "jax"): _jax_hardtanh,
    ("hardtanh", "flax"): _jax_hardtanh,
    ("leaky_relu", "jax"): _jax_leaky,
    ("leaky_relu", "flax"): _jax_leaky,
    ("hard_sigmoid", "keras2"): _keras2_hard_sigmoid,
}
