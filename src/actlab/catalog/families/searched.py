"""The best functions found by Ramachandran, Zoph & Le's automated search (2017, Table 1).

Their search combined unary and binary core units; besides Swish (x·σ(βx), the `silu`
spec) the top functions were max(x, σ(x)), cos(x) − x, min(x, sin(x)), (tan⁻¹ x)² − x,
max(x, tanh(x)), sinc(x) + x and x·(sinh⁻¹ x)². tan⁻¹ and sinh⁻¹ are the inverse
functions (arctan, arsinh) of the paper's list of unary units, and sinc(x) = sin(x)/x.

At the crossing of a max or min, the piece that continues to +∞ owns the kink (its
derivative is the one used there). min(x, sin x) and max(x, tanh x) switch pieces at 0,
where both pieces agree up to f'' (C²).
"""

from __future__ import annotations

import math

import torch

from actlab.catalog.families.oscillating import sinc, sinc_prime, sinc_second
from actlab.catalog.primitives import at_infinity, sech_squared
from actlab.catalog.spec import INF, ActivationSpec, Properties

T = torch.Tensor

_SEARCH = ("Ramachandran, Zoph & Le 2017, Searching for Activation Functions "
           "(arXiv:1710.05941), Table 1",)


def _sigmoid_prime(x: T) -> T:
    return torch.sigmoid(x) * torch.sigmoid(-x)


# --- max(x, σ(x)) ----------------------------------------------------------------------------
def _sigmoid_fixed_point() -> float:
    """The c with c = σ(c) (0.659046…), by Newton's method on c − σ(c)."""
    c = 0.5
    for _ in range(50):
        s = 1 / (1 + math.exp(-c))
        c -= (c - s) / (1 - s * (1 - s))
    return c


_CROSS = _sigmoid_fixed_point()


def _max_sigmoid_derivative(x: T) -> T:
    s = torch.sigmoid(x)
    return torch.where(x >= s, torch.ones_like(x), _sigmoid_prime(x))


def _max_sigmoid_second(x: T) -> T:
    s = torch.sigmoid(x)
    return torch.where(x >= s, torch.zeros_like(x), _sigmoid_prime(x) * (1 - 2 * s))


MAX_SIGMOID = ActivationSpec(
    name="max_sigmoid",
    family="searched",
    summary="max(x, σ(x)): the sigmoid below x ≈ 0.659, the identity above.",
    latex=r"f(x) = \max(x, \sigma(x))",
    forward=lambda x: torch.maximum(x, torch.sigmoid(x)),
    derivative=_max_sigmoid_derivative,
    second_derivative=_max_sigmoid_second,
    kinks=(_CROSS,),
    properties=Properties((0.0, INF), monotonic=True, smoothness=0, saturation="left"),
    references=_SEARCH,
    class_name="MaxSigmoid",
    notes="The pieces cross at c = σ(c) = 0.659046, where the slope jumps from "
          "c(1 − c) = 0.224703 to 1; f'(c) = 1.",
)


# --- cos(x) − x ----------------------------------------------------------------------------
COS_MINUS_X = ActivationSpec(
    name="cos_minus_x",
    family="searched",
    summary="cos(x) − x: a decreasing line with a cosine ripple.",
    latex=r"f(x) = \cos x - x",
    forward=lambda x: at_infinity(torch.cos(x) - x, x, INF, -INF),
    derivative=lambda x: -torch.sin(x) - 1,
    second_derivative=lambda x: -torch.cos(x),
    properties=Properties((-INF, INF), monotonic=False, smoothness=INF),
    references=_SEARCH,
    aliases=("cosid",),
    class_name="CosMinusX",
    notes="Non-increasing (f' = −1 − sin x ≤ 0), so `monotonic` (non-decreasing) is False; "
          "the following layer's weights can flip its sign.",
)


# --- min(x, sin(x)) --------------------------------------------------------------------------
def _min_sin_forward(x: T) -> T:
    # min(-inf, nan) is nan; the limit at -inf is -inf (there is none at +inf).
    return torch.where(x == -INF, x, torch.minimum(x, torch.sin(x)))


MIN_SIN = ActivationSpec(
    name="min_sin",
    family="searched",
    summary="min(x, sin(x)): the identity below 0, the sine above.",
    latex=r"f(x) = \min(x, \sin x) = \begin{cases} x & x < 0 \\ \sin x & x \ge 0 "
          r"\end{cases}",
    forward=_min_sin_forward,
    derivative=lambda x: torch.where(x > 0, torch.cos(x), torch.ones_like(x)),
    second_derivative=lambda x: torch.where(x > 0, -torch.sin(x), torch.zeros_like(x)),
    kinks=(0.0,),
    properties=Properties((-INF, 1.0), (False, True), monotonic=False, smoothness=2),
    references=_SEARCH,
    class_name="MinSin",
    notes="sin x ≤ x exactly for x ≥ 0, so the pieces meet at 0 only; f, f' and f'' agree "
          "there and f''' jumps from 0 to −1. It has no limit at +∞ (f(+inf) is nan).",
)


# --- (tan⁻¹ x)² − x --------------------------------------------------------------------------
def _inv_one_plus_square(x: T) -> T:
    """1/(1 + x²) without overflowing x²."""
    h = torch.hypot(torch.ones_like(x), x)
    return 1 / h / h


def _atan_squared_second(x: T) -> T:
    # (2 − 4x·atan x)/(1 + x²)², with r = 1/(1 + x²) applied twice so nothing overflows.
    r = _inv_one_plus_square(x)
    return at_infinity((2 * r - 4 * (x * r) * torch.atan(x)) * r, x, 0.0, 0.0)


ATAN_SQUARED_MINUS_X = ActivationSpec(
    name="atan_squared_minus_x",
    family="searched",
    summary="(tan⁻¹ x)² − x: a decreasing line bent by the squared arctangent.",
    latex=r"f(x) = \left(\tan^{-1} x\right)^2 - x",
    forward=lambda x: torch.atan(x) ** 2 - x,
    derivative=lambda x: 2 * torch.atan(x) * _inv_one_plus_square(x) - 1,
    second_derivative=_atan_squared_second,
    properties=Properties((-INF, INF), monotonic=False, smoothness=INF),
    references=_SEARCH,
    class_name="AtanSquaredMinusX",
    notes="Strictly decreasing: f' = 2 tan⁻¹(x)/(1 + x²) − 1 ≤ −0.176.",
)


# --- max(x, tanh(x)) -------------------------------------------------------------------------
def _max_tanh_second(x: T) -> T:
    return torch.where(x > 0, torch.zeros_like(x), -2 * torch.tanh(x) * sech_squared(x))


MAX_TANH = ActivationSpec(
    name="max_tanh",
    family="searched",
    summary="max(x, tanh(x)): tanh below 0, the identity above.",
    latex=r"f(x) = \max(x, \tanh x) = \begin{cases} \tanh x & x < 0 \\ x & x \ge 0 "
          r"\end{cases}",
    forward=lambda x: torch.maximum(x, torch.tanh(x)),
    derivative=lambda x: torch.where(x > 0, torch.ones_like(x), sech_squared(x)),
    second_derivative=_max_tanh_second,
    kinks=(0.0,),
    properties=Properties((-1.0, INF), monotonic=True, smoothness=2, saturation="left"),
    references=_SEARCH,
    class_name="MaxTanh",
    notes="tanh x ≥ x for x ≤ 0, so the pieces meet at 0 only; f''' jumps from −2 to 0.",
)


# --- sinc(x) + x -----------------------------------------------------------------------------
SINC_PLUS_X = ActivationSpec(
    name="sinc_plus_x",
    family="searched",
    summary="sinc(x) + x: the identity plus a decaying sin(x)/x ripple.",
    latex=r"f(x) = \frac{\sin x}{x} + x",
    forward=lambda x: at_infinity(sinc(x) + x, x, -INF, INF),
    derivative=lambda x: sinc_prime(x) + 1,
    second_derivative=sinc_second,
    properties=Properties((-INF, INF), monotonic=True, smoothness=INF),
    references=_SEARCH,
    class_name="SincPlusX",
    notes="sinc(0) = 1. Non-decreasing because |sinc'| ≤ 0.436 < 1.",
)


# --- x·(sinh⁻¹ x)² --------------------------------------------------------------------------
def _x_asinh_squared_derivative(x: T) -> T:
    h = torch.hypot(torch.ones_like(x), x)
    a = torch.asinh(x)
    return at_infinity(a * a + 2 * a * (x / h), x, INF, INF)


def _x_asinh_squared_second(x: T) -> T:
    # 2a/h + 2a/h³ + 2x/h², h = √(1 + x²), each term divided step by step.
    h = torch.hypot(torch.ones_like(x), x)
    a = torch.asinh(x)
    y = 2 * a / h + 2 * (a / h) / h / h + 2 * (x / h) / h
    return at_infinity(y, x, 0.0, 0.0)


X_ASINH_SQUARED = ActivationSpec(
    name="x_asinh_squared",
    family="searched",
    summary="x·(sinh⁻¹ x)²: an odd, increasing function that grows like x·ln²(2|x|).",
    latex=r"f(x) = x \left(\sinh^{-1} x\right)^2",
    forward=lambda x: x * torch.asinh(x) ** 2,
    derivative=_x_asinh_squared_derivative,
    second_derivative=_x_asinh_squared_second,
    properties=Properties((-INF, INF), monotonic=True, smoothness=INF, zero_centred=True),
    references=_SEARCH,
    class_name="XAsinhSquared",
    notes="Flat at the origin: f(x) ≈ x³ near 0.",
)


SPECS = (MAX_SIGMOID, COS_MINUS_X, MIN_SIN, ATAN_SQUARED_MINUS_X, MAX_TANH, SINC_PLUS_X,
         X_ASINH_SQUARED)
