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

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import torch

from actlab.catalog.families.sigmoid import backward_slope
from actlab.catalog.spec import ActivationSpec
from actlab.kernels.fused import SAME_SIZE_INT, FusedKernel, KernelBuilder

Tensor = torch.Tensor
aten = torch.ops.aten


def _key(spec: ActivationSpec, bound: Mapping[str, Any]) -> tuple:
    # A flavor variant (origin "flavor", source its framework) has kernels of its own.
    return (spec.name, spec.source, "mask", tuple(sorted(spec.math_values(bound).items())))


def _forward(spec: ActivationSpec, bound: Mapping[str, Any]) -> Callable[[Tensor], Tensor]:
    values = spec.math_values(bound)
    if spec.uses_native(bound):
        return lambda x: spec.native(x, **values)
    return lambda x: spec.forward(x, **values)


def _masked(spec: ActivationSpec, bound: Mapping[str, Any], mask: Mask,
            levels: tuple[float, ...],
            native_into: Callable[[Tensor, Tensor], object] | None = None) -> FusedKernel:
    """A mask kernel; `native_into(x, out)` is the native op's out= form, used where the
    spec's native op applies to these parameters."""
    into = native_into if spec.uses_native(bound) else None
    return FusedKernel(key=_key(spec, bound), saves="mask", value=_forward(spec, bound),
                       value_into=into, mask=mask.eager, traced_mask=mask.traced,
                       levels=levels)


def _leaky_into(slope: float) -> Callable[[Tensor, Tensor], object]:
    return lambda x, out: aten.leaky_relu.out(x, slope, out=out)


def _hardtanh_into(low: float, high: float) -> Callable[[Tensor, Tensor], object]:
    return lambda x, out: aten.hardtanh.out(x, low, high, out=out)


@dataclasses.dataclass(frozen=True)
class Mask:
    """Piece codes two ways: `eager` for torch ops (comparisons written straight into
    uint8 with out=, bit tricks), `traced` for a compiler. Inductor's CPU code turns a
    bool-to-uint8 conversion into a scalar loop (relu with its mask, compiled, on 2^24
    elements: 56 ms, against 4.7 ms with the codes made through int32, which vectorise)."""

    eager: Callable[[Tensor], Tensor]
    traced: Callable[[Tensor], Tensor]


def _u8(op: Callable[..., Tensor], x: Tensor, *args: Any) -> Tensor:
    """A comparison written straight into uint8 (a bool result takes a slower CPU loop)."""
    out = torch.empty(x.shape, dtype=torch.uint8, device=x.device)
    return op(x, *args, out=out)


def _codes(*conditions: Tensor) -> Tensor:
    """The product of boolean conditions as 0/1 uint8 codes, through int32 (traced form)."""
    code = conditions[0].to(torch.int32)
    for c in conditions[1:]:
        code = code * c.to(torch.int32)
    return code.to(torch.uint8)


def _above(theta: float) -> Mask:
    """x > θ as 0/1 codes."""
    return Mask(lambda x: _u8(torch.gt, x, theta), lambda x: _codes(x > theta))


def _positive_or_nan_eager(x: Tensor) -> Tensor:
    return _u8(torch.gt, x.view(SAME_SIZE_INT[x.dtype]), 0)


#: x > 0, or nan: ReLU's pieces as PyTorch's backward reads them from its output. The
#: float's bit pattern read as a signed integer is > 0 exactly there (−0 and the negatives
#: have the sign bit set); an integer comparison is twice as fast on CPU.
_POSITIVE_OR_NAN = Mask(_positive_or_nan_eager,
                        lambda x: _codes(x.view(SAME_SIZE_INT[x.dtype]) > 0))


def _between(low: float, high: float) -> Mask:
    """low < x < high (the linear piece of a clipped function; its ends belong to the flat
    pieces, as PyTorch's hardtanh and relu6 backward decide)."""
    def inside(x: Tensor) -> Tensor:
        return _u8(torch.gt, x, low).bitwise_and_(_u8(torch.lt, x, high))
    return Mask(inside, lambda x: _codes(x > low, x < high))


def _closed_between(low: float, high: float) -> Mask:
    """low ≤ x ≤ high: the linear piece owns its ends (JAX's hard_tanh)."""
    def inside(x: Tensor) -> Tensor:
        return _u8(torch.ge, x, low).bitwise_and_(_u8(torch.le, x, high))
    return Mask(inside, lambda x: _codes(x >= low, x <= high))


def _at_least(theta: float) -> Mask:
    """x ≥ θ as 0/1 codes (JAX's leaky_relu: the identity piece owns 0)."""
    return Mask(lambda x: _u8(torch.ge, x, theta), lambda x: _codes(x >= theta))


def _clipped_line(slope: float, offset: float) -> Mask:
    """0 ≤ slope·x + offset ≤ 1, the line computed in x's dtype (Keras 2's hard_sigmoid:
    TensorFlow's clip_by_value passes the gradient at both ends)."""
    def inside(x: Tensor) -> Tensor:
        line = x * slope + offset
        return _u8(torch.ge, line, 0.0).bitwise_and_(_u8(torch.le, line, 1.0))
    return Mask(inside, lambda x: _codes(x * slope + offset >= 0, x * slope + offset <= 1))


def _outside(lambd: float) -> Mask:
    """|x| > λ (the shrinkages' moving pieces; ±λ itself is flat)."""
    return Mask(lambda x: _u8(torch.gt, x.abs(), lambd), lambda x: _codes(x.abs() > lambd))


def _relu(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    slope, max_value, threshold = p["negative_slope"], p["max_value"], p["threshold"]
    upper = math.inf if max_value is None else max_value
    if slope == 0:
        if max_value is None:
            # x > θ alone: at x = +inf this gives PyTorch's slope 1 (the spec's x < ∞ gives 0).
            mask = _POSITIVE_OR_NAN if threshold == 0 else _above(threshold)
            return _masked(spec, p, mask, (0.0, 1.0),
                           lambda x, out: torch.clamp(x, min=0, out=out))
        # A negative threshold lets (θ, 0) through, but the cap's clipping at 0 flattens it.
        return _masked(spec, p, _between(max(threshold, 0.0), upper), (0.0, 1.0),
                       _hardtanh_into(0.0, upper))
    if max_value is None and threshold == 0:
        return _masked(spec, p, _above(0.0), (slope, 1.0), _leaky_into(slope))

    def pieces(x: Tensor) -> Tensor:
        # Keras's relu with slope and cap or threshold: 1 inside, slope below θ, and 0 on the
        # cap and at θ itself (the spec's derivative): three pieces, codes 0, 1, 2.
        inside = [x > threshold, x < upper]
        if threshold < 0 and max_value is not None:
            inside.append(x > 0)
        code = _codes(*inside).to(torch.int32) + 2 * (x < threshold).to(torch.int32)
        return code.to(torch.uint8)

    return _masked(spec, p, Mask(pieces, pieces), (0.0, 1.0, slope))


def _leaky(slope_of: Callable[[Mapping[str, Any]], float]) -> KernelBuilder:
    def build(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
        slope = slope_of(p)
        return _masked(spec, p, _above(0.0), (slope, 1.0), _leaky_into(slope))
    return build


def _prelu(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel | None:
    # A learned (tensor) slope needs the input itself for its own gradient: no mask then.
    if isinstance(p["weight"], Tensor):
        return None
    weight = float(p["weight"])
    kernel = _masked(spec, p, _above(0.0), (weight, 1.0))
    # where(x > 0, x, a·x) is leaky_relu(x, a), element for element, in either layout.
    return dataclasses.replace(kernel, value_into=_leaky_into(weight))


def _threshold(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    theta = p["threshold"] if "threshold" in p else p["theta"]
    value = p.get("value", 0.0)
    return _masked(spec, p, _above(theta), (0.0, 1.0),
                   lambda x, out: aten.threshold.out(x, theta, value, out=out))


def _shrink(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    lambd = p["lambd"]
    op = aten.hardshrink if spec.name == "hardshrink" else aten.softshrink
    return _masked(spec, p, _outside(lambd), (0.0, 1.0),
                   lambda x, out: op.out(x, lambd, out=out))


def _hard_sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    slope, offset = p["slope"], p["offset"]
    return _masked(spec, p, _between(-offset / slope, (1 - offset) / slope),
                   (0.0, backward_slope(slope, offset)),
                   lambda x, out: aten.hardsigmoid.out(x, out=out))


def _sparse_sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    return _masked(spec, p, _between(-1.0, 1.0), (0.0, 0.5))


def _binary_step(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    # f′ = 0 everywhere it exists: nothing to save.
    return FusedKernel(key=_key(spec, p), saves="nothing", value=_forward(spec, p),
                       levels=(0.0,))


def _jax_hardtanh(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    low, high = p["min_val"], p["max_val"]
    return dataclasses.replace(_masked(spec, p, _closed_between(low, high), (0.0, 1.0)),
                               value_into=_hardtanh_into(low, high))


def _jax_leaky(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    slope = p["negative_slope"]
    return dataclasses.replace(_masked(spec, p, _at_least(0.0), (slope, 1.0)),
                               value_into=_leaky_into(slope))


def _keras2_hard_sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    slope, offset = p["slope"], p["offset"]
    return _masked(spec, p, _clipped_line(slope, offset), (0.0, slope))


BUILDERS: dict[str, KernelBuilder] = {
    "relu": _relu,
    "leaky_relu": _leaky(lambda p: p["negative_slope"]),
    "rrelu": _leaky(lambda p: (p["lower"] + p["upper"]) / 2),
    "prelu": _prelu,
    "relu6": lambda spec, p: _masked(spec, p, _between(0.0, 6.0), (0.0, 1.0),
                                     _hardtanh_into(0.0, 6.0)),
    "hardtanh": lambda spec, p: _masked(spec, p, _between(p["min_val"], p["max_val"]),
                                        (0.0, 1.0), _hardtanh_into(p["min_val"], p["max_val"])),
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
