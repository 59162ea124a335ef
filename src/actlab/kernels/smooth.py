"""Kernels for smooth activations: lean backward, in place, compiled, or no native op.

- The ELU family, sigmoid, tanh, exp, log-sigmoid and softplus compute f′ from their
  output: elu′ = 1 for y > 0 else y + α (PyTorch's own in-place rule), σ′ = y(1 − y),
  log_sigmoid′ = −expm1(y), softplus′ = −expm1(−βy). They save the output, which the next
  layer usually keeps anyway, and may overwrite their input.
- Mish, GELU (tanh form), softsign and thresholded softplus save their input and use
  formulas with fewer and cheaper ops than PyTorch's CPU kernels: one exp and a
  division for mish instead of exp, log1p and tanh; the sigmoid instead of tanh (whose
  vectorised CPU implementation is several times slower); and no `torch.where`, which
  is not vectorised on CPU (a 0/1 factor multiplies instead). Run eagerly, op by op,
  they do not beat PyTorch's ops (which `auto` therefore keeps); compiled
  (``implementation="compiled"``), each formula becomes one loop.

Every formula is the spec's function exactly (same value, same derivative, including
the limits at ±inf and the conventions at kinks); only the arithmetic differs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

from actlab.catalog.spec import ActivationSpec, round_to_float32
from actlab.kernels.fused import FusedKernel, KernelBuilder

Tensor = torch.Tensor
aten = torch.ops.aten

#: e^20 squared stays finite in float32 (e^80 ≈ 5.5e34 < 3.4e38), and beyond x = 20 the
#: factor tanh(softplus(x)) is 1 to double precision: clamping there changes no value.
_MISH_CLIP = 20.0

#: Beyond |x| = 1000 every exponentially small factor is exactly 0 even in float64, so
#: clipping x there keeps x² finite without changing a value (the catalog's _TAIL).
_TAIL = 1000.0

#: softsign is ±1 to double precision beyond |x| = 1e30; clipping keeps ±inf finite.
_SOFTSIGN_CLIP = 1e30

_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715


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
        blocked=False,  # one native op each way: nothing for cache blocking to fuse
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
                       from_output=aten.sigmoid_backward, lean=False,
                       blocked=False)


def _tanh(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    # Native tanh saves its output too: the kernel adds in-place use and a compiled form
    # (1.4x PyTorch's speed on a CPU in benchmarks/).
    return FusedKernel(key=_key(spec, p, "output"), saves="output", value=torch.tanh,
                       from_output=aten.tanh_backward, lean=False,
                       blocked=False)


def _exponential(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    return FusedKernel(key=_key(spec, p, "output"), saves="output", value=torch.exp,
                       from_output=lambda g, y: g * y, lean=False,
                       blocked=False)


def _log_sigmoid(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    # PyTorch's forward (its CPU kernel was as fast as any formula here), without the
    # input and buffer it keeps: f′ = σ(−x) = 1 − e^y = −expm1(y) from the output, exact
    # where y → 0⁻ (x → ∞) and where y → −∞.
    return FusedKernel(key=_key(spec, p, "output"), saves="output", value=F.logsigmoid,
                       from_output=lambda g, y: g * -torch.expm1(y), upcast=True)


def _softplus_of(z: Tensor) -> Tensor:
    return torch.clamp(z, min=0) + torch.log1p(torch.exp(-z.abs()))


def _softplus(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    beta, threshold = p["beta"], p["threshold"]
    if threshold is None:
        if beta == 1:
            return FusedKernel(key=_key(spec, p, "output"), saves="output", value=_softplus_of,
                               from_output=lambda g, y: g * -torch.expm1(-y), upcast=True)
        # f′ = σ(βx) = 1 − e^{−βy}: exact at both ends, as for log-sigmoid.
        return FusedKernel(key=_key(spec, p, "output"), saves="output",
                           value=lambda x: _softplus_of(x * beta) / beta,
                           from_output=lambda g, y: g * -torch.expm1(-beta * y), upcast=True)

    # PyTorch's rule: x itself where βx > threshold. Near the threshold two inputs can give
    # the same output, so f′ is computed from the input. A 0/1 factor replaces torch.where;
    # each branch is kept finite where its factor is 0 (0·inf would be nan).
    def value(x: Tensor) -> Tensor:
        z = x * beta
        linear = (z > threshold).to(x.dtype)
        soft = _softplus_of(torch.clamp(z, max=threshold)) / beta
        return linear * torch.clamp(x, min=torch.finfo(x.dtype).min) + (1 - linear) * soft

    def from_input(g: Tensor, x: Tensor) -> Tensor:
        z = x * beta
        linear = (z > threshold).to(x.dtype)
        return g * (linear + (1 - linear) * torch.sigmoid(z))

    # Same transcendental work as PyTorch's kernel (one exp, one log1p): no faster there,
    # so `auto` keeps the native op; the kernel is for compiling and for comparison.
    return FusedKernel(key=_key(spec, p, "input"), saves="input", value=value,
                       from_input=from_input, upcast=True, lean=False)


# --- mish -----------------------------------------------------------------------------------
def _mish_value(x: Tensor) -> Tensor:
    """x·tanh(softplus x) = x·n/(n + 2) with n = eˣ(eˣ + 2): one exp, no log1p or tanh."""
    e = torch.exp(torch.clamp(x, -_TAIL, _MISH_CLIP))
    n = e * (e + 2)
    # x·0 at x = −inf is nan; the limit is 0 (x is clipped where e is already 0).
    return torch.clamp(x, min=-_TAIL) * (n / (n + 2))


def _mish_from_input(g: Tensor, x: Tensor) -> Tensor:
    """mish′ = tanh(sp) + x·sech²(sp)·σ(x) = (n(n + 2) + 4x·e(1 + e))/(n + 2)²."""
    xc = torch.clamp(x, -_TAIL, _MISH_CLIP)
    e = torch.exp(xc)
    n = e * (e + 2)
    d = n + 2
    return g * ((n * d + 4 * xc * e * (1 + e)) / (d * d))


def _mish(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel:
    return FusedKernel(key=_key(spec, p, "input"), saves="input", value=_mish_value,
                       from_input=_mish_from_input, upcast=True, lean=False)


# --- gelu, tanh approximation ---------------------------------------------------------------
def _gelu_tanh_value(x: Tensor) -> Tensor:
    """x·(1 + tanh u)/2 = x·σ(2u), u = √(2/π)(x + 0.044715x³)."""
    xc = torch.clamp(x, min=-_TAIL)
    t = xc * (2 * _GELU_C + (2 * _GELU_C * _GELU_K) * (xc * xc))
    return xc * torch.sigmoid(t)


def _gelu_tanh_from_input(g: Tensor, x: Tensor) -> Tensor:
    """f′ = σ(2u) + x·2u′·σ(2u)σ(−2u), u′ = √(2/π)(1 + 3·0.044715x²)."""
    xc = torch.clamp(x, -_TAIL, _TAIL)
    x2 = xc * xc
    t = xc * (2 * _GELU_C + (2 * _GELU_C * _GELU_K) * x2)
    s = torch.sigmoid(t)
    r = torch.sigmoid(-t)
    dt = 2 * _GELU_C + (6 * _GELU_C * _GELU_K) * x2
    return g * (s + xc * dt * s * r)


def _gelu(spec: ActivationSpec, p: Mapping[str, Any]) -> FusedKernel | None:
    if p["approximate"] != "tanh":
        return None
    return FusedKernel(key=_key(spec, p, "input"), saves="input", value=_gelu_tanh_value,
                       from_input=_gelu_tanh_from_input, upcast=True,
                       lean=False)


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
    "mish": _mish,
    "gelu": _gelu,
    "softsign": _softsign,
}
