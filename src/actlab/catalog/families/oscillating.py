"""Oscillating units with many zeros (Noel et al. 2021): GCU, SQU, NCU, DSU and SSU.

Noel et al. argue that an activation with several zeros lets one neuron draw several
hyperplanes (a single unit learns XOR). GCU grows without limit while it oscillates, so it
has no limit at ±∞ and gives nan there; DSU and SSU decay like sinc and tend to 0.

sinc is the unnormalised sin(u)/u (its first zeros at ±π are why SSU shifts by π, which
makes SSU(0) = DSU(0) = 0). Near u = 0 it and its derivatives are evaluated from their
Taylor series, where the closed forms cancel.
"""

from __future__ import annotations

import math

import torch

from actlab.catalog.spec import INF, ActivationSpec, Properties

T = torch.Tensor

#: Below |u| = 1 the Taylor series are used (14 terms: the first omitted one is below
#: 1e-26); above it the closed forms lose at most a few ulps to cancellation.
_SERIES = 1.0
_TERMS = 14


def _taylor(order: int) -> tuple[float, ...]:
    """Coefficients c_k of sinc⁽ᵒʳᵈᵉʳ⁾(u) = u^(order mod 2)·Σ c_k u^(2k), from
    sinc(u) = Σ (−1)^j u^(2j)/(2j + 1)!."""
    out = []
    for j in range(order > 0, _TERMS + 1):
        c = (-1) ** j / math.factorial(2 * j + 1)
        for i in range(order):
            c *= 2 * j - i
        out.append(c)
    return tuple(out)


_SINC_SERIES = tuple(_taylor(n) for n in range(3))


def _series(u: T, order: int) -> T:
    v = u * u
    acc = torch.zeros_like(u)
    for c in reversed(_SINC_SERIES[order]):
        acc = acc * v + c
    return u * acc if order % 2 else acc


def _series_or(u: T, series: T, closed: T) -> T:
    return torch.where(u.abs() < _SERIES, series, closed)


def _safe(u: T) -> T:
    """u with the series region replaced by 1, so the closed form never divides by 0."""
    return torch.where(u.abs() < _SERIES, torch.ones_like(u), u)


def _zero_at_infinity(u: T, value: T) -> T:
    """sinc and its derivatives tend to 0 at ±∞ (sin(inf) is nan)."""
    return torch.where(torch.isinf(u), torch.zeros_like(value), value)


def sinc(u: T) -> T:
    """sin(u)/u, with sinc(0) = 1."""
    s = _safe(u)
    return _zero_at_infinity(u, _series_or(u, _series(u, 0), torch.sin(s) / s))


def sinc_prime(u: T) -> T:
    """sinc'(u) = (cos u − sinc u)/u."""
    s = _safe(u)
    closed = (torch.cos(s) - torch.sin(s) / s) / s
    return _zero_at_infinity(u, _series_or(u, _series(u, 1), closed))


def sinc_second(u: T) -> T:
    """sinc''(u) = −sinc u − 2 sinc'(u)/u."""
    s = _safe(u)
    closed = -(torch.sin(s) / s) - 2 * ((torch.cos(s) - torch.sin(s) / s) / s) / s
    return _zero_at_infinity(u, _series_or(u, _series(u, 2), closed))


_NOEL_2021 = ("Noel, Bharadwaj, Muthiah-Nakarajan, Dutta & Amali 2021, Biologically Inspired "
              "Oscillating Activation Functions Can Bridge the Performance Gap between "
              "Biological and Artificial Neurons (arXiv:2111.04020)",)


# --- gcu -------------------------------------------------------------------------------------
GCU = ActivationSpec(
    name="gcu",
    family="oscillating",
    summary="Growing cosine unit: x·cos(x), an oscillation whose amplitude grows with |x|.",
    latex=r"f(x) = x \cos x",
    forward=lambda x: x * torch.cos(x),
    derivative=lambda x: torch.cos(x) - x * torch.sin(x),
    second_derivative=lambda x: -2 * torch.sin(x) - x * torch.cos(x),
    properties=Properties((-INF, INF), monotonic=False, smoothness=INF, zero_centred=True),
    references=("Noel, Arunkumar, Trivedi & Dutta 2021, Growing Cosine Unit: A Novel "
                "Oscillatory Activation Function That Can Speedup Training and Reduce "
                "Parameters in Convolutional Neural Networks (arXiv:2108.12943)",),
    aliases=("growing_cosine_unit",),
    class_name="GCU",
    notes="An odd function with a zero at every (k + 1/2)π. It has no limit at ±∞, so "
          "f(±inf) is nan.",
)


# --- squ, ncu --------------------------------------------------------------------------------
SQU = ActivationSpec(
    name="squ",
    family="oscillating",
    summary="Shifted quadratic unit: x² + x, zeros at −1 and 0.",
    latex=r"f(x) = x^2 + x",
    forward=lambda x: x * (x + 1),
    derivative=lambda x: 2 * x + 1,
    second_derivative=lambda x: torch.full_like(x, 2.0),
    properties=Properties((-0.25, INF), (True, False), monotonic=False, smoothness=INF),
    references=_NOEL_2021,
    aliases=("shifted_quadratic_unit",),
    class_name="SQU",
    notes="Written as x(x + 1), which is exact near the zero at −1. Its minimum −1/4 is at "
          "x = −1/2.",
)

NCU = ActivationSpec(
    name="ncu",
    family="oscillating",
    summary="Non-monotonic cubic unit: x − x³, zeros at −1, 0 and 1.",
    latex=r"f(x) = x - x^3",
    forward=lambda x: x * (1 - x) * (1 + x),
    derivative=lambda x: 1 - 3 * x * x,
    second_derivative=lambda x: -6 * x,
    properties=Properties((-INF, INF), monotonic=False, smoothness=INF, zero_centred=True),
    references=_NOEL_2021,
    aliases=("non_monotonic_cubic_unit",),
    class_name="NCU",
    notes="Written as x(1 − x)(1 + x), which is exact near the zeros at ±1.",
)


# --- dsu, ssu --------------------------------------------------------------------------------
_PI = math.pi


def _dsu_forward(x: T) -> T:
    return _PI / 2 * (sinc(x - _PI) - sinc(x + _PI))


DSU = ActivationSpec(
    name="dsu",
    family="oscillating",
    summary="Decaying sine unit: π/2·(sinc(x − π) − sinc(x + π)), an odd wave decaying "
            "like 1/x².",
    latex=r"f(x) = \frac{\pi}{2}\left(\operatorname{sinc}(x - \pi) - "
          r"\operatorname{sinc}(x + \pi)\right),\quad \operatorname{sinc} u = \frac{\sin u}{u}",
    forward=_dsu_forward,
    derivative=lambda x: _PI / 2 * (sinc_prime(x - _PI) - sinc_prime(x + _PI)),
    second_derivative=lambda x: _PI / 2 * (sinc_second(x - _PI) - sinc_second(x + _PI)),
    properties=Properties((-1.6364081368248818, 1.6364081368248818), (True, True),
                          monotonic=False, smoothness=INF, zero_centred=True,
                          saturation="both"),
    references=_NOEL_2021,
    aliases=("decaying_sine_unit",),
    class_name="DSU",
    notes="Equal to π² sin(x)/(π² − x²): zeros at every multiple of π except ±π, where "
          "f(±π) = ±π/2. Extremes ±1.636408 at x = ±2.630996.",
)


SSU = ActivationSpec(
    name="ssu",
    family="oscillating",
    summary="Shifted sinc unit: π·sinc(x − π), peaking at π for x = π.",
    latex=r"f(x) = \pi \operatorname{sinc}(x - \pi),\quad \operatorname{sinc} u = "
          r"\frac{\sin u}{u}",
    forward=lambda x: _PI * sinc(x - _PI),
    derivative=lambda x: _PI * sinc_prime(x - _PI),
    second_derivative=lambda x: _PI * sinc_second(x - _PI),
    properties=Properties((-0.6824595705010304, _PI), (True, True), monotonic=False,
                          smoothness=INF, saturation="both"),
    references=_NOEL_2021,
    aliases=("shifted_sinc_unit",),
    class_name="SSU",
    notes="Its minimum π·min sinc = −0.682460 is at x = π ± 4.493409. Some activation zoos "
          "use the normalised sin(πu)/(πu) here, which gives f(0) ≠ 0; the paper's shift by "
          "π only puts a zero at the origin with the unnormalised sinc.",
)


SPECS = (GCU, SQU, NCU, DSU, SSU)
