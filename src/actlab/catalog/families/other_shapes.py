"""Two more shapes from the literature: the cube x³ of Chen & Manning's parser, and SQ-RBF,
a piecewise-quadratic radial basis function that needs no exponential.
"""

from __future__ import annotations

import torch

from actlab.catalog.spec import INF, ActivationSpec, Properties

T = torch.Tensor


# --- cube ------------------------------------------------------------------------------------
CUBE = ActivationSpec(
    name="cube",
    family="other",
    summary="The cube x³, which models three-way products of its inputs.",
    latex=r"f(x) = x^3",
    forward=lambda x: x * x * x,
    derivative=lambda x: 3 * x * x,
    second_derivative=lambda x: 6 * x,
    properties=Properties((-INF, INF), monotonic=True, smoothness=INF, zero_centred=True),
    references=("Chen & Manning 2014, A Fast and Accurate Dependency Parser using Neural "
                "Networks (EMNLP)",),
    class_name="Cube",
    notes="Chen & Manning found it better than tanh and sigmoid for their parser: "
          "(w·x + b)³ contains every product x_i x_j x_k of three input features.",
)


# --- SQ-RBF ----------------------------------------------------------------------------------
def _sqrbf_forward(x: T) -> T:
    a = x.abs()
    outer = torch.clamp(2 - a, min=0)
    return torch.where(a <= 1, 1 - x * x / 2, outer * outer / 2)


def _sqrbf_derivative(x: T) -> T:
    # Continuous everywhere: −x inside, −sign(x)(2 − |x|) on the shoulders, 0 outside.
    a = x.abs()
    outer = -torch.sign(x) * torch.clamp(2 - a, min=0)
    return torch.where(a <= 1, -x, outer)


def _sqrbf_second(x: T) -> T:
    a = x.abs()
    return torch.where(a <= 1, -torch.ones_like(x),
                       torch.where(a < 2, torch.ones_like(x), torch.zeros_like(x)))


SQRBF = ActivationSpec(
    name="sqrbf",
    family="other",
    summary="SQ-RBF: a Gaussian-like bump made of quadratics, 1 at 0 and exactly 0 beyond ±2.",
    latex=r"f(x) = \begin{cases} 1 - \frac{x^2}{2} & |x| \le 1 \\ \frac{(2 - |x|)^2}{2} & "
          r"1 < |x| < 2 \\ 0 & |x| \ge 2 \end{cases}",
    forward=_sqrbf_forward,
    derivative=_sqrbf_derivative,
    second_derivative=_sqrbf_second,
    kinks=(-2.0, -1.0, 1.0, 2.0),
    properties=Properties((0.0, 1.0), (True, True), monotonic=False, smoothness=1,
                          saturation="both"),
    references=("Wuraola & Patel 2018, Computationally Efficient Radial Basis Function "
                "(ICONIP, LNCS 11302)",),
    aliases=("sq_rbf",),
    class_name="SQRBF",
    notes="The companion of SQNL (`sqnl`) by the same authors. f and f' are continuous; f'' "
          "jumps at ±1 (from −1 to 1) and at ±2 (from 1 to 0). The pieces own their left "
          "ends: f''(±1) = −1, f''(±2) = 0.",
)


SPECS = (CUBE, SQRBF)
