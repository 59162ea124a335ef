"""More ELU-like units: ISRLU, SERLU, PDELU, SLU, and SchNet's shifted softplus.

Each is the identity (or λ·x) for x ≥ 0 and a saturating curve below. The negative
pieces are evaluated on min(x, 0), so no branch overflows; the piece that owns x = 0 is
named in each spec.
"""

from __future__ import annotations

import math

import torch

from actlab.catalog.primitives import at_infinity, softplus
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties

T = torch.Tensor

_LN2 = math.log(2.0)


def _negative(x: T) -> T:
    return torch.clamp(x, max=0)


# --- ISRLU -----------------------------------------------------------------------------------
def _isrlu_scale(x: T, alpha: float) -> T:
    """1/√(1 + αx²) as 1/hypot(1, √α·x): x² never overflows."""
    return torch.hypot(torch.ones_like(x), math.sqrt(alpha) * x).reciprocal()


def _isrlu_forward(x: T, alpha: float) -> T:
    xn = _negative(x)
    left = at_infinity(xn * _isrlu_scale(xn, alpha), xn, -1 / math.sqrt(alpha), 0.0)
    return torch.where(x >= 0, x, left)


def _isrlu_derivative(x: T, alpha: float) -> T:
    return torch.where(x >= 0, torch.ones_like(x), _isrlu_scale(_negative(x), alpha) ** 3)


def _isrlu_second(x: T, alpha: float) -> T:
    # −3αx(1 + αx²)^(−5/2) = −3α·(x·r)·r⁴, r = (1 + αx²)^(−1/2): finite for any x.
    xn = _negative(x)
    r = _isrlu_scale(xn, alpha)
    left = -3 * alpha * at_infinity(xn * r, xn, -1 / math.sqrt(alpha), 0.0) * r ** 4
    return torch.where(x >= 0, torch.zeros_like(x), left)


ISRLU = ActivationSpec(
    name="isrlu",
    family="exponential",
    summary="Inverse square root linear unit: x for x ≥ 0, x/√(1 + αx²) below.",
    latex=r"f(x) = \begin{cases} x & x \ge 0 \\ \frac{x}{\sqrt{1 + \alpha x^2}} & x < 0 "
          r"\end{cases}",
    forward=_isrlu_forward,
    derivative=_isrlu_derivative,
    second_derivative=_isrlu_second,
    params=(Param("alpha", 1.0, "α: the limit at −∞ is −1/√α", low=0.0, low_open=True),),
    kinks=(0.0,),
    properties=Properties((-1.0, INF), monotonic=True, smoothness=2, saturation="left"),
    references=("Carlile, Delamarter, Kinney, Marti & Whitney 2017, Improving Deep Learning "
                "by Inverse Square Root Linear Units (ISRLUs) (arXiv:1710.09967)",),
    class_name="ISRLU",
    notes="An ELU-like unit without exp. f, f' and f'' are continuous at 0 (f''' jumps by "
          "−3α), so it is C² for every α. The negative piece is the `isru` spec.",
)


# --- SERLU -----------------------------------------------------------------------------------
#: Zhang & Li's constants, chosen for the self-normalising fixed point (mean 0, variance 1).
SERLU_LAMBDA = 1.07862
SERLU_ALPHA = 2.90427


def _serlu_forward(x: T, scale: float, alpha: float) -> T:
    xn = _negative(x)
    # x·eˣ first: λα·x alone overflows near the dtype's minimum (then ·0 is nan).
    left = scale * alpha * (xn * torch.exp(xn))
    return at_infinity(torch.where(x >= 0, scale * x, left), x, 0.0, INF)


def _serlu_derivative(x: T, scale: float, alpha: float) -> T:
    # The x ≥ 0 piece owns 0: f'(0) = λ (the left slope there is λα).
    xn = _negative(x)
    left = scale * alpha * torch.exp(xn) * (1 + xn)
    return torch.where(x >= 0, torch.full_like(x, scale), left)


def _serlu_second(x: T, scale: float, alpha: float) -> T:
    xn = _negative(x)
    left = scale * alpha * torch.exp(xn) * (2 + xn)
    return torch.where(x >= 0, torch.zeros_like(x), left)


SERLU = ActivationSpec(
    name="serlu",
    family="exponential",
    summary="Scaled exponentially-regularised linear unit: λx for x ≥ 0, λα·x·eˣ below.",
    latex=r"f(x) = \lambda \begin{cases} x & x \ge 0 \\ \alpha x e^{x} & x < 0 \end{cases}"
          r"\quad (\lambda = 1.07862,\ \alpha = 2.90427)",
    forward=_serlu_forward,
    derivative=_serlu_derivative,
    second_derivative=_serlu_second,
    params=(
        Param("scale", SERLU_LAMBDA, "λ (Zhang & Li's self-normalising constant)"),
        Param("alpha", SERLU_ALPHA, "α (Zhang & Li's self-normalising constant)"),
    ),
    kinks=(0.0,),
    properties=Properties((-SERLU_LAMBDA * SERLU_ALPHA / math.e, INF), (True, False),
                          monotonic=False, smoothness=0, zero_centred=True, saturation="left",
                          self_normalising=True),
    references=("Zhang & Li 2018, Effectiveness of Scaled Exponentially-Regularized Linear "
                "Units (SERLUs) (arXiv:1807.10117)",),
    class_name="SERLU",
    notes="Like SELU it keeps N(0, 1) pre-activations at mean 0 and variance 1, but its "
          "negative part x·eˣ returns to 0 (a bump of depth −λα/e at x = −1) instead of "
          "saturating at a negative value.",
)


# --- PDELU -----------------------------------------------------------------------------------
def _pdelu_base(x: T, t: float) -> T:
    """[1 + (1 − t)·min(x, 0)]₊, which reaches 0 at x = −1/(1 − t)."""
    return torch.clamp(1 + (1 - t) * _negative(x), min=0)


def _pdelu_forward(x: T, alpha: float, t: float) -> T:
    # base^{1/(1−t)} − 1 as expm1(log1p((1 − t)x)/(1 − t)): no cancellation near 0. Beyond
    # the point where the base reaches 0 the value is exactly −α.
    v = (1 - t) * _negative(x)
    inside = v > -1
    v_safe = torch.where(inside, v, torch.zeros_like(v))
    power = torch.where(inside, torch.expm1(torch.log1p(v_safe) / (1 - t)), -torch.ones_like(v))
    return torch.where(x > 0, x, alpha * power)


def _pdelu_derivative(x: T, alpha: float, t: float) -> T:
    # The x ≤ 0 piece owns 0 (f'(0) = α), as PyTorch's elu'(0) = α.
    base = _pdelu_base(x, t)
    left = alpha * base ** (t / (1 - t))
    return torch.where(x > 0, torch.ones_like(x), left)


def _pdelu_second(x: T, alpha: float, t: float) -> T:
    base = _pdelu_base(x, t)
    safe = torch.where(base > 0, base, torch.ones_like(base))
    left = torch.where(base > 0, alpha * t * safe ** ((2 * t - 1) / (1 - t)),
                       torch.zeros_like(base))
    return torch.where(x > 0, torch.zeros_like(x), left)


PDELU = ActivationSpec(
    name="pdelu",
    family="exponential",
    summary="Parametric deformable ELU: x for x > 0, α([1 + (1 − t)x]₊^{1/(1−t)} − 1) below.",
    latex=r"f(x) = \begin{cases} x & x > 0 \\ \alpha\left(\left[1 + (1 - t)x\right]_+^{1/(1 - "
          r"t)} - 1\right) & x \le 0 \end{cases}\quad (\alpha = 1,\ t = 0.9)",
    forward=_pdelu_forward,
    derivative=_pdelu_derivative,
    second_derivative=_pdelu_second,
    params=(
        Param("alpha", 1.0, "α: the value −α is reached for x ≤ −1/(1 − t)", low=0.0,
              low_open=True),
        Param("t", 0.9, "t, the deformation: t → 1 gives ELU's α(eˣ − 1)", low=0.0, high=1.0,
              low_open=True, high_open=True),
    ),
    kinks=lambda alpha, t: (-1 / (1 - t), 0.0),
    properties=Properties((-1.0, INF), (True, False), monotonic=True, smoothness=1,
                          saturation="left"),
    references=("Cheng, Li, Wu, Ma & Ngan 2020, Parametric Deformable Exponential Linear Units "
                "for deep neural networks (Neural Networks 125)",
                "Dubey, Singh & Chaudhuri 2022, Activation functions in deep learning: A "
                "comprehensive survey and benchmark (Neurocomputing 503), which benchmarks it"),
    class_name="PDELU",
    notes="α is trainable in the paper (initialised at 1); t = 0.9 gives (1 + x/10)¹⁰ − 1, "
          "exactly −α below x = −10. C¹ at 0 only for α = 1; at −1/(1 − t) the pieces meet "
          "with 1/(1 − t) − 1 continuous derivatives (nine at t = 0.9).",
)


# --- shifted softplus ----------------------------------------------------------------------------
def _shifted_softplus_forward(x: T) -> T:
    # ln((1 + eˣ)/2): log1p(expm1(x)/2) near and below 0 keeps relative precision where
    # softplus(x) − ln 2 cancels; above 1 the difference is harmless.
    low = torch.log1p(torch.expm1(torch.clamp(x, max=1.0)) / 2)
    high = softplus(torch.clamp(x, min=1.0)) - _LN2
    return torch.where(x < 1, low, high)


SHIFTED_SOFTPLUS = ActivationSpec(
    name="shifted_softplus",
    family="exponential",
    summary="Shifted softplus: ln(1 + eˣ) − ln 2, a softplus through the origin (SchNet).",
    latex=r"f(x) = \ln\left(\tfrac12 e^{x} + \tfrac12\right) = \ln(1 + e^x) - \ln 2",
    forward=_shifted_softplus_forward,
    derivative=lambda x: torch.sigmoid(x),
    second_derivative=lambda x: torch.sigmoid(x) * torch.sigmoid(-x),
    properties=Properties((-_LN2, INF), monotonic=True, smoothness=INF, saturation="left"),
    references=("Schütt, Kindermans, Sauceda, Chmiela, Tkatchenko & Müller 2017, SchNet: A "
                "continuous-filter convolutional neural network for modeling quantum "
                "interactions (NeurIPS)",),
    aliases=("ssp",),
    class_name="ShiftedSoftplus",
    notes="f(0) = 0 and f'(0) = 1/2.",
)


# --- SLU -------------------------------------------------------------------------------------
def _slu_forward(x: T) -> T:
    return torch.where(x >= 0, x, 2 * _shifted_softplus_forward(_negative(x)))


SLU = ActivationSpec(
    name="slu",
    family="exponential",
    summary="Softplus linear unit: x for x ≥ 0, 2·ln(1 + eˣ) − 2·ln 2 below.",
    latex=r"f(x) = \begin{cases} x & x \ge 0 \\ 2\ln(1 + e^x) - 2\ln 2 & x < 0 \end{cases}",
    forward=_slu_forward,
    derivative=lambda x: torch.where(x >= 0, torch.ones_like(x), 2 * torch.sigmoid(x)),
    # f'' jumps from 1/2 to 0 at x = 0; the x ≥ 0 piece owns the point.
    second_derivative=lambda x: torch.where(
        x >= 0, torch.zeros_like(x), 2 * torch.sigmoid(x) * torch.sigmoid(-x)),
    kinks=(0.0,),
    properties=Properties((-2 * _LN2, INF), monotonic=True, smoothness=1, saturation="left"),
    references=("Zhao, Liu, Li & Luo 2018, A novel softplus linear unit for deep "
                "convolutional neural networks (Applied Intelligence 48(7))",),
    class_name="SLU",
    notes="The paper's general form is αx (x ≥ 0), β·ln(eˣ + 1) − γ (x < 0); fixing the "
          "positive slope α = 1 and asking f to be continuous and differentiable at 0 gives "
          "β = 2, γ = 2 ln 2. The negative part is twice the shifted softplus.",
)


SPECS = (ISRLU, SERLU, PDELU, SHIFTED_SOFTPLUS, SLU)
