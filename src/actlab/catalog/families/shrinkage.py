"""Shrinkage functions: hard and soft thresholding (wavelet denoising) and tanhshrink.

Derivatives at ±λ are 0, as PyTorch's hardshrink and softshrink backward give.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from actlab.catalog.primitives import heaviside, sech_squared
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties, flavor

T = torch.Tensor


def _zeros(x: T) -> T:
    return torch.zeros_like(x)


def _outside(x: T, lambd: float) -> T:
    # 1 where |x| > λ; 0 on [−λ, λ] including its ends (PyTorch's convention).
    return heaviside(x.abs() > lambd, x)


def _shrink_kinks(lambd: float) -> tuple[float, ...]:
    return (0.0,) if lambd == 0 else (-lambd, lambd)


# --- hardshrink ------------------------------------------------------------------------------
HARDSHRINK = ActivationSpec(
    name="hardshrink",
    family="shrinkage",
    summary="Hard shrinkage: x where |x| > λ, else 0 (hard thresholding).",
    latex=r"f(x) = \begin{cases} x & |x| > \lambda \\ 0 & |x| \le \lambda \end{cases}",
    forward=lambda x, lambd: torch.where(x.abs() > lambd, x, _zeros(x)),
    derivative=_outside,
    second_derivative=lambda x, lambd: _zeros(x),
    native=lambda x, lambd: F.hardshrink(x, lambd),
    params=(Param("lambd", 0.5, "λ ≥ 0: inputs with |x| ≤ λ become 0", low=0.0),),
    kinks=_shrink_kinks,
    properties=Properties((-INF, INF), monotonic=True, smoothness=-1, zero_centred=True),
    references=("Donoho & Johnstone 1994, Ideal spatial adaptation by wavelet shrinkage "
                "(Biometrika)",),
    aliases=("hard_shrink",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Hardshrink", "torch.nn.functional.hardshrink"),
        "keras": flavor("keras", {}, "keras.activations.hard_shrink", "keras.ops.hard_shrink",
                        renames={"threshold": "lambd"}),
    },
    class_name="Hardshrink",
    notes="Discontinuous at ±λ (it jumps by λ); with λ = 0 it is the identity, except "
          "that the derivative at 0 is 0, as in PyTorch.",
)


# --- softshrink ------------------------------------------------------------------------------
SOFTSHRINK = ActivationSpec(
    name="softshrink",
    family="shrinkage",
    summary="Soft shrinkage: moves x towards 0 by λ, and sets |x| ≤ λ to 0 (soft thresholding).",
    latex=r"f(x) = \begin{cases} x - \lambda & x > \lambda \\ x + \lambda & x < -\lambda \\ "
          r"0 & |x| \le \lambda \end{cases}",
    # x − clamp(x, −λ, λ) is x ∓ λ outside [−λ, λ] and exactly 0 inside.
    forward=lambda x, lambd: x - torch.clamp(x, -lambd, lambd),
    derivative=_outside,
    second_derivative=lambda x, lambd: _zeros(x),
    native=lambda x, lambd: F.softshrink(x, lambd),
    params=(Param("lambd", 0.5, "λ ≥ 0: the amount of shrinkage", low=0.0),),
    kinks=_shrink_kinks,
    properties=Properties((-INF, INF), monotonic=True, smoothness=0, zero_centred=True),
    references=("Donoho 1995, De-noising by soft-thresholding (IEEE Transactions on "
                "Information Theory)",),
    aliases=("soft_shrink",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Softshrink", "torch.nn.functional.softshrink"),
        "keras": flavor("keras", {}, "keras.activations.soft_shrink", "keras.ops.soft_shrink",
                        renames={"threshold": "lambd"}),
    },
    class_name="Softshrink",
)


# --- tanhshrink ------------------------------------------------------------------------------
# Taylor coefficients of x − tanh(x) = Σ c_k x^(2k+3): below |x| = 1/4 the first ten
# terms are exact to double precision, where x − tanh(x) itself would lose the leading
# digits to cancellation (x − tanh x ≈ x³/3).
_TANHSHRINK_SERIES = (
    1 / 3, -2 / 15, 17 / 315, -62 / 2835, 1382 / 155925, -21844 / 6081075,
    929569 / 638512875, -6404582 / 10854718875, 443861162 / 1856156927625,
    -18888466084 / 194896477400625,
)
_TANHSHRINK_SERIES_RADIUS = 0.25


def _tanhshrink_forward(x: T) -> T:
    small = x.abs() < _TANHSHRINK_SERIES_RADIUS
    s = torch.where(small, x, _zeros(x))
    s2 = s * s
    poly = torch.full_like(x, _TANHSHRINK_SERIES[-1])
    for c in reversed(_TANHSHRINK_SERIES[:-1]):
        poly = poly * s2 + c
    return torch.where(small, s * s2 * poly, x - torch.tanh(x))


TANHSHRINK = ActivationSpec(
    name="tanhshrink",
    family="shrinkage",
    summary="Tanh shrinkage: x − tanh(x), flat (≈ x³/3) near 0 and ≈ x ∓ 1 far out.",
    latex=r"f(x) = x - \tanh x",
    forward=_tanhshrink_forward,
    derivative=lambda x: torch.tanh(x) ** 2,
    second_derivative=lambda x: 2 * torch.tanh(x) * sech_squared(x),
    native=F.tanhshrink,
    properties=Properties((-INF, INF), monotonic=True, smoothness=INF, zero_centred=True),
    aliases=("tanh_shrink",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Tanhshrink", "torch.nn.functional.tanhshrink"),
        "keras": flavor("keras", {}, "keras.activations.tanh_shrink", "keras.ops.tanh_shrink"),
    },
    class_name="Tanhshrink",
)


SPECS = (HARDSHRINK, SOFTSHRINK, TANHSHRINK)
