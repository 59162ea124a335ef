"""More squashing functions: Elliott's, LeCun's scaled tanh, the statisticians' link
functions (probit, log-log, complementary log-log), soft-root-sign and smooth-step.

Tails are written so that no branch overflows: the double exponentials clip x where
their value is exactly 0 or 1 in float64 (and float32), and the rational ones are
evaluated in the form without cancellation on each side.
"""

from __future__ import annotations

import math

import torch

from actlab.catalog.primitives import at_infinity, normal_cdf, normal_pdf, sech_squared
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties

T = torch.Tensor

#: e^{±x} beyond x = 40 makes exp(−e^{x}) exactly 0 in float64 and float32, and e^40 is
#: still finite in float32: clipping there changes no value and avoids inf − inf.
_DOUBLE_EXP_CLIP = 40.0


# --- elliott --------------------------------------------------------------------------------
def _elliott_forward(x: T) -> T:
    # 0.5·x/(1 + |x|) + 0.5, as 0.5/(1 + |x|) (x < 0) and 1 − 0.5/(1 + |x|) (x ≥ 0): the
    # left tail keeps its relative precision.
    tail = 0.5 / (1 + x.abs())
    return torch.where(x < 0, tail, 1 - tail)


ELLIOTT = ActivationSpec(
    name="elliott",
    family="sigmoid",
    summary="Elliott's sigmoid: 0.5·x/(1 + |x|) + 0.5, a logistic shape without exp.",
    latex=r"f(x) = \frac{x}{2(1 + |x|)} + \frac{1}{2}",
    forward=_elliott_forward,
    derivative=lambda x: 0.5 / (1 + x.abs()) ** 2,
    # −sign(x)/(1 + |x|)³; 0 at x = 0, where f'' jumps from 1 to −1 (as for softsign).
    second_derivative=lambda x: -torch.sign(x) / (1 + x.abs()) ** 3,
    kinks=(0.0,),
    properties=Properties((0.0, 1.0), monotonic=True, smoothness=1, saturation="both"),
    references=("Elliott 1993, A better activation function for artificial neural networks "
                "(ISR Technical Report TR 93-8, University of Maryland)",
                "Dubey, Singh & Chaudhuri 2022, Activation functions in deep learning: A "
                "comprehensive survey and benchmark (Neurocomputing 503), which benchmarks it"),
    aliases=("elliott_sigmoid",),
    class_name="Elliott",
    notes="softsign(x)/2 + 1/2. C¹ at 0, where f'' jumps from 1 to −1.",
)


# --- scaled tanh ----------------------------------------------------------------------------
def _scaled_tanh_second(x: T, scale: float, slope: float) -> T:
    u = slope * x
    return -2 * scale * slope * slope * torch.tanh(u) * sech_squared(u)


SCALED_TANH = ActivationSpec(
    name="scaled_tanh",
    family="sigmoid",
    summary="LeCun's scaled tanh A·tanh(Sx), A = 1.7159, S = 2/3: f(±1) = ±1.",
    latex=r"f(x) = A \tanh(S x)\quad (A = 1.7159,\ S = \tfrac23)",
    forward=lambda x, scale, slope: scale * torch.tanh(slope * x),
    derivative=lambda x, scale, slope: scale * slope * sech_squared(slope * x),
    second_derivative=_scaled_tanh_second,
    params=(
        Param("scale", 1.7159, "A, the amplitude (the output lies in (−A, A))", low=0.0,
              low_open=True),
        Param("slope", 2 / 3, "S, the slope inside the tanh", low=0.0, low_open=True),
    ),
    properties=Properties((-1.7159, 1.7159), monotonic=True, smoothness=INF,
                          zero_centred=True, saturation="both"),
    references=("LeCun, Bottou, Orr & Müller 1998, Efficient BackProp (Neural Networks: "
                "Tricks of the Trade, LNCS 1524), section 4.4",),
    aliases=("lecun_tanh",),
    class_name="ScaledTanh",
    notes="LeCun et al. chose the constants so that f(±1) = ±1 and the second derivative "
          "is largest at x = ±1, with unit-variance inputs.",
)


# --- probit, log-log, complementary log-log ---------------------------------------------------
_GOMES = ("Gomes, Ludermir & Lima 2011, Comparison of new activation functions in neural "
          "network for forecasting financial time series (Neural Computing and Applications "
          "20(3))",)


def _probit_second(x: T) -> T:
    x = torch.clamp(x, -_DOUBLE_EXP_CLIP, _DOUBLE_EXP_CLIP)  # φ is exactly 0 beyond
    return -x * normal_pdf(x)


PROBIT = ActivationSpec(
    name="probit",
    family="sigmoid",
    summary="The standard normal CDF Φ(x), the inverse of the probit link.",
    latex=r"f(x) = \Phi(x) = \tfrac12\left(1 + \operatorname{erf}(x/\sqrt2)\right)",
    forward=normal_cdf,
    derivative=normal_pdf,
    second_derivative=_probit_second,
    properties=Properties((0.0, 1.0), monotonic=True, smoothness=INF, saturation="both"),
    references=_GOMES,
    aliases=("normal_cdf",),
    class_name="Probit",
    notes="Computed as erfc(−x/√2)/2, which keeps full relative precision in the left tail.",
)


def _loglog_derivative(x: T) -> T:
    x = torch.clamp(x, min=-_DOUBLE_EXP_CLIP)
    return torch.exp(-x - torch.exp(-x))


def _loglog_second(x: T) -> T:
    x = torch.clamp(x, min=-_DOUBLE_EXP_CLIP)
    return torch.exp(-x - torch.exp(-x)) * torch.expm1(-x)


LOGLOG = ActivationSpec(
    name="loglog",
    family="sigmoid",
    summary="Log-log: exp(−e^{−x}), the Gompertz curve; 1/e at 0, an asymmetric sigmoid.",
    latex=r"f(x) = e^{-e^{-x}}",
    forward=lambda x: torch.exp(-torch.exp(-torch.clamp(x, min=-_DOUBLE_EXP_CLIP))),
    derivative=_loglog_derivative,
    second_derivative=_loglog_second,
    properties=Properties((0.0, 1.0), monotonic=True, smoothness=INF, saturation="both"),
    references=_GOMES,
    aliases=("log_log",),
    class_name="LogLog",
    notes="Approaches 0 doubly exponentially on the left, 1 like 1 − e^{−x} on the right.",
)


def _cloglog_derivative(x: T) -> T:
    x = torch.clamp(x, max=_DOUBLE_EXP_CLIP)
    return torch.exp(x - torch.exp(x))


def _cloglog_second(x: T) -> T:
    x = torch.clamp(x, max=_DOUBLE_EXP_CLIP)
    return -torch.exp(x - torch.exp(x)) * torch.expm1(x)


CLOGLOG = ActivationSpec(
    name="cloglog",
    family="sigmoid",
    summary="Complementary log-log: 1 − exp(−eˣ), the mirror image of log-log.",
    latex=r"f(x) = 1 - e^{-e^{x}}",
    forward=lambda x: -torch.expm1(-torch.exp(torch.clamp(x, max=_DOUBLE_EXP_CLIP))),
    derivative=_cloglog_derivative,
    second_derivative=_cloglog_second,
    properties=Properties((0.0, 1.0), monotonic=True, smoothness=INF, saturation="both"),
    references=_GOMES,
    aliases=("complementary_log_log",),
    class_name="CLogLog",
    notes="cloglog(x) = 1 − loglog(−x). Computed as −expm1(−eˣ): no cancellation where "
          "eˣ is small.",
)


# --- soft-root-sign ---------------------------------------------------------------------------
def _srs_parts(x: T, alpha: float, beta: float) -> tuple[T, T, T]:
    """w = e^{x/β} (x ≤ 0) or e^{−x/β} (x > 0), and the denominators of each side's form.

    f = x/(x/α + e^{−x/β}) = x·w/(1 + x·w/α) for x ≤ 0, where e^{−x/β} would overflow.
    """
    neg = torch.clamp(x, max=0)
    pos = torch.clamp(x, min=0)
    w_neg = torch.exp(neg / beta)
    w_pos = torch.exp(-pos / beta)
    return w_neg, w_pos, neg


def _srs_forward(x: T, alpha: float, beta: float) -> T:
    w_neg, w_pos, neg = _srs_parts(x, alpha, beta)
    pos = torch.clamp(x, min=0)
    left = neg * w_neg / (1 + neg * w_neg / alpha)
    right = pos / (pos / alpha + w_pos)
    return at_infinity(torch.where(x <= 0, left, right), x, 0.0, alpha)


def _srs_derivative(x: T, alpha: float, beta: float) -> T:
    # f' = e^{−x/β}(1 + x/β)/D², D = x/α + e^{−x/β}; on the left, multiplied through by w².
    w_neg, w_pos, neg = _srs_parts(x, alpha, beta)
    pos = torch.clamp(x, min=0)
    p = 1 + neg * w_neg / alpha
    left = w_neg * (1 + neg / beta) / p / p
    d = pos / alpha + w_pos
    right = (w_pos * (1 + pos / beta) / d) / d
    return torch.where(x <= 0, left, right)


def _srs_second(x: T, alpha: float, beta: float) -> T:
    # f'' = (N'D − 2ND')/D³ with N = e^{−x/β}(1 + x/β), N' = −x e^{−x/β}/β²,
    # D' = 1/α − e^{−x/β}/β; on the left, multiplied through by w³.
    w_neg, w_pos, neg = _srs_parts(x, alpha, beta)
    pos = torch.clamp(x, min=0)
    p = 1 + neg * w_neg / alpha
    left = w_neg * (-neg * p / beta ** 2
                    - 2 * (1 + neg / beta) * (w_neg / alpha - 1 / beta)) / p / p / p
    d = pos / alpha + w_pos
    n = w_pos * (1 + pos / beta)
    n1 = -pos * w_pos / beta ** 2
    d1 = 1 / alpha - w_pos / beta
    right = ((n1 * d - 2 * n * d1) / d) / d / d
    return torch.where(x <= 0, left, right)


def _srs_check(p) -> str | None:
    if p["beta"] >= math.e * p["alpha"]:
        return (f"beta must be below e·alpha (= {math.e * p['alpha']:g}), or x/α + e^(−x/β) "
                f"reaches 0 and the function has a pole")
    return None


SOFT_ROOT_SIGN = ActivationSpec(
    name="soft_root_sign",
    family="sigmoid",
    summary="Soft-root-sign: x/(x/α + e^{−x/β}), bounded above by α with a negative dip.",
    latex=r"f(x) = \frac{x}{x/\alpha + e^{-x/\beta}}\quad (\alpha = 5,\ \beta = 3)",
    forward=_srs_forward,
    derivative=_srs_derivative,
    second_derivative=_srs_second,
    params=(
        Param("alpha", 5.0, "α: the limit at +∞", low=0.0, low_open=True),
        Param("beta", 3.0, "β: the width of the negative dip (its minimum is at x = −β)",
              low=0.0, low_open=True),
    ),
    check=_srs_check,
    properties=Properties((5.0 * 3.0 / (3.0 - 5.0 * math.e), 5.0), (True, False),
                          monotonic=False, smoothness=INF, saturation="both"),
    references=("Zhou, Li, Huo & Kung 2020, Soft-Root-Sign Activation Function "
                "(arXiv:2003.00547)",
                "Dubey, Singh & Chaudhuri 2022, Activation functions in deep learning: A "
                "comprehensive survey and benchmark (Neurocomputing 503), which benchmarks it"),
    aliases=("srs",),
    class_name="SoftRootSign",
    notes="α and β are trained in the paper; α = 5, β = 3 are the initial values of Dubey et "
          "al.'s benchmark code. The minimum αβ/(β − αe) is at x = −β; the limit at +∞ is α "
          "and at −∞ 0.",
)


# --- smooth step -----------------------------------------------------------------------------
def _smooth_step_forward(x: T, gamma: float) -> T:
    h = gamma / 2
    t = torch.clamp(x, -h, h)
    return -2 * t ** 3 / gamma ** 3 + 3 * t / (2 * gamma) + 0.5


def _smooth_step_derivative(x: T, gamma: float) -> T:
    h = gamma / 2
    inside = (x > -h) & (x < h)
    t = torch.clamp(x, -h, h)
    return torch.where(inside, -6 * t * t / gamma ** 3 + 1.5 / gamma, torch.zeros_like(x))


def _smooth_step_second(x: T, gamma: float) -> T:
    h = gamma / 2
    inside = (x > -h) & (x < h)
    return torch.where(inside, -12 * x / gamma ** 3, torch.zeros_like(x))


SMOOTH_STEP = ActivationSpec(
    name="smooth_step",
    family="sigmoid",
    summary="Smooth-step: a cubic from 0 to 1 on [−γ/2, γ/2], exactly 0 and 1 outside.",
    latex=r"f(x) = \begin{cases} 0 & x \le -\gamma/2 \\ -\frac{2}{\gamma^3}x^3 + "
          r"\frac{3}{2\gamma}x + \frac12 & |x| < \gamma/2 \\ 1 & x \ge \gamma/2 \end{cases}",
    forward=_smooth_step_forward,
    derivative=_smooth_step_derivative,
    second_derivative=_smooth_step_second,
    params=(Param("gamma", 1.0, "γ, the width of the transition", low=0.0, low_open=True),),
    kinks=lambda gamma: (-gamma / 2, gamma / 2),
    properties=Properties((0.0, 1.0), (True, True), monotonic=True, smoothness=1,
                          saturation="both"),
    references=("Hazimeh, Ponomareva, Mol, Tan & Mazumder 2020, The Tree Ensemble Layer: "
                "Differentiability meets Conditional Computation (ICML)",),
    class_name="SmoothStep",
    notes="Exactly 0 and 1 outside the transition (so gradients are exactly 0 there, which "
          "the paper uses for conditional computation); f' is continuous at ±γ/2, f'' jumps "
          "by ∓6/γ².",
)


SPECS = (ELLIOTT, SCALED_TANH, PROBIT, LOGLOG, CLOGLOG, SOFT_ROOT_SIGN, SMOOTH_STEP)
