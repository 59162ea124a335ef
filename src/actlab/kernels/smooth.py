"""Kernels for smooth activations that keep less for backward, or run in place.

- The ELU family, sigmoid, tanh, exp, log-sigmoid and softplus compute f′ from their
  output: elu′ = 1 for y > 0 else y + α (PyTorch's own in-place rule), σ′ = y(1 − y),
  log_sigmoid′ = −expm1(y), softplus′ = −expm1(−βy). They save the output, which the next
  layer usually keeps anyway, and may overwrite their input (PyTorch's log-sigmoid keeps
  its input and a buffer; Keras's softplus has no PyTorch op at all).
- Softsign (a Python composite in PyTorch, which keeps its intermediates) saves its
  input, or in place its output.

Every formula is the spec's function exactly (same value, same derivative, including
the limits at ±inf and the conventions at kinks); only the arithmetic differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from actlab.catalog.spec import ActivationSpec, round_to_float32
from actlab.kernels.fused import FusedKernel, KernelBuilder

Tensor = torch.Tensor
aten = torch.ops.aten

#: softsign is ±1 to double precision beyond |x| = 1e30; clipping keeps ±inf finite.
_SOFTSIGN_CLIP = 1e30


def _key(spec: ActivationSpec, bound: Mapping[str, Any], saves: str) -> tuple:
    return (spec.name, saves, tuple(sorted(spec.math_values(bound).items())))


# --- ELU family: aten.elu with PyTorch's backward from the result ---------------------------
def _elu_kernel(spec: ActivationSpec, bound: Mapping[str, Any], alpha: float, scale: float,
                input_scale: float) -> FusedKernel | None:
    # From the output, x ≤ 0 must give y ≤ 0: true for α ≥ 0 (and aten refuses α < 0).
    if alpha < 0 or scale <= 0:
        return None
    return FusedKernel(
        key=_key(spec, bound, "output"), saves="output",
        value=lambda x: aten.elu(x, alpha, scale, input_scale),
        from_output=lambda g, y: aten.elu_backward(g, alpha, scale, input_scale, True, y),
    )


def _elu(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel | None:
    return _elu_kernel(spec, p, p["alpha"], 1.0, 1.0)


def _selu(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel | None:
    return _elu_kernel(spec, p, p["alpha"], p["scale"], 1.0)


def _celu(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel | None:
    # celu(x, α) = elu(x, α, input_scale = 1/α), as torch.celu computes it. PyTorch's
    # backward takes exp(x·r) of the input with r = 1/float32(α); from the output that is
    # only reproducible where r is 1/α exactly (α = 1, 2, 0.5...).
    inverse = 1.0 / p["alpha"]
    if 1.0 / round_to_float32(p["alpha"]) != inverse:
        return None
    return _elu_kernel(spec, p, p["alpha"], 1.0, inverse)


# --- functions of their own output ----------------------------------------------------------
def _sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    # Native sigmoid already saves its output: the kernel only adds in-place use.
    return FusedKernel(key=_key(spec, p, "output"), saves="output", value=torch.sigmoid,
                       from_output=aten.sigmoid_backward, lean=False)


def _tanh(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    # Native tanh saves its output too: the kernel adds in-place use and a compiled form
    # (1.4x PyTorch's speed on a CPU in benchmarks/).
    return FusedKernel(key=_key(spec, p, "output"), saves="output", value=torch.tanh,
                       from_output=aten.tanh_backward, lean=False)


def _exponential(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    return FusedKernel(key=_key(spec, p, "output"), saves="output", value=torch.exp,
                       from_output=lambda g, y: g * y, lean=False)


def _log_sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    # PyTorch's forward (its CPU kernel was as fast as any formula here), without the
    # input and buffer it keeps: f′ = σ(−x) = 1 − e^y = −expm1(y) from the output, exact
    # where y → 0⁻ (x → ∞) and where y → −∞.
    return FusedKernel(key=_key(spec, p, "output"), saves="output", value=F.logsigmoid,
                       from_output=lambda g, y: g * -torch.expm1(y), upcast=True)


def _softplus_of(z: Tensor) -> Tensor:
    return torch.clamp(z, min=0) + torch.log1p(torch.exp(-z.abs()))


def _softplus(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel | None:
    beta, threshold = p["beta"], p["threshold"]
    if threshold is None:
        if beta == 1:
            return FusedKernel(key=_key(spec, p, "output"), saves="output", value=_softplus_of,
                               from_output=lambda g, y: g * -torch.expm1(-y), upcast=True)
        # f′ = σ(βx) = 1 − e^{−βy}: exact at both ends, as for log-sigmoid.
        return FusedKernel(key=_key(spec, p, "output"), saves="output",
                           value=lambda x: _softplus_of(x * beta) / beta,
                           from_output=lambda g, y: g * -torch.expm1(-beta * y), upcast=True)

    # PyTorch's thresholded softplus is a native op, as fast as a formula could be and
    # keeping one tensor: no kernel.
    return None


# --- softsign -------------------------------------------------------------------------------
def _softsign_value(x: Tensor) -> Tensor:
    xc = torch.clamp(x, -_SOFTSIGN_CLIP, _SOFTSIGN_CLIP)
    return xc / (xc.abs() + 1)


def _softsign_from_input(g: Tensor, x: Tensor) -> Tensor:
    a = x.abs() + 1
    return g / (a * a)


def _softsign_from_output(g: Tensor, y: Tensor) -> Tensor:
    # 1/(1 + |x|) = 1 − |y|: used only in place, where x is gone (absolute error ≤ eps).
    a = 1 - y.abs()
    return g * (a * a)


def _softsign(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    return FusedKernel(key=_key(spec, p, "input"), saves="input", value=_softsign_value,
                       from_input=_softsign_from_input, from_output=_softsign_from_output,
                       upcast=True)


BUILDERS: dict[str, KernelBuilder] = {
    "elu": _elu,
    "selu": _selu,
    "celu": _celu,
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "exponential": _exponential,
    "log_sigmoid": _log_sigmoid,
    "softplus": _softplus,
    "softsign": _softsign,
}
