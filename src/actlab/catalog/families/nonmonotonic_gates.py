"""More self-gated units x·g(x), proposed 2018–2025: gates built from erf, the logarithm,
the Gompertz curve, tanh∘GELU, a power function and a sine, plus Hard ELiSH.

All but Hard ELiSH are smooth. Each dips below zero for negative x and tends to the
identity (or a multiple of it) for positive x. Products of a factor that grows (x) and one
that vanishes exponentially are guarded twice: the exponentials are evaluated on a clipped
x beyond which their value is exactly 0 in float64 and float32, and ±inf inputs get the
limit instead of inf·0.
"""

from __future__ import annotations

import math

import torch

from actlab.catalog.primitives import at_infinity, normal_cdf, normal_pdf, sech_squared, softplus
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties

T = torch.Tensor

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

#: e^{-u²} is exactly 0 in float64 (and float32) once u > 27.3; erf(u) is exactly 1.
_ERF_CLIP = 30.0
#: exp(−e^{|x|}) is exactly 0 once |x| > 6.7; 40 keeps e^{|x|} finite in float32 too.
_DOUBLE_EXP_CLIP = 40.0


def _zero_at_infinity(x: T, term: T) -> T:
    """`term`, whose limit at x = ±inf is 0, where a product like inf·0 gave nan."""
    return torch.where(torch.isinf(x), torch.zeros_like(term), term)


def _gated(x: T, gate: T) -> T:
    """x·g(x) with the limits 0 at −inf (g → 0 there) and +inf at +inf."""
    return at_infinity(x * gate, x, 0.0, INF)


# --- serf, pserf ---------------------------------------------------------------------------
def _erf_softplus_parts(x: T, gamma: float, delta: float) -> tuple[T, T, T]:
    """g = erf(w), g' and g'' for w = γ·softplus(δx)."""
    s, r = torch.sigmoid(delta * x), torch.sigmoid(-delta * x)
    w = torch.clamp(gamma * softplus(delta * x), max=_ERF_CLIP)
    w1 = gamma * delta * s
    w2 = gamma * delta * delta * s * r
    e = _TWO_OVER_SQRT_PI * torch.exp(-w * w)
    return torch.erf(w), e * w1, e * (w2 - 2 * w * w1 * w1)


def _erf_softplus_forward(x: T, gamma: float, delta: float) -> T:
    return _gated(x, torch.erf(gamma * softplus(delta * x)))


def _erf_softplus_derivative(x: T, gamma: float, delta: float) -> T:
    g, g1, _ = _erf_softplus_parts(x, gamma, delta)
    return g + _zero_at_infinity(x, x * g1)


def _erf_softplus_second(x: T, gamma: float, delta: float) -> T:
    _, g1, g2 = _erf_softplus_parts(x, gamma, delta)
    return 2 * g1 + _zero_at_infinity(x, x * g2)


SERF = ActivationSpec(
    name="serf",
    family="self-gated",
    summary="Serf: x·erf(ln(1 + eˣ)), the log-softplus error activation.",
    latex=r"f(x) = x \operatorname{erf}\left(\ln(1 + e^x)\right)",
    forward=lambda x: _erf_softplus_forward(x, 1.0, 1.0),
    derivative=lambda x: _erf_softplus_derivative(x, 1.0, 1.0),
    second_derivative=lambda x: _erf_softplus_second(x, 1.0, 1.0),
    properties=Properties((-0.3484374587596064, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Nag & Bhattacharyya 2021, SERF: Towards better training of deep neural "
                "networks using log-Softplus ERror activation Function (arXiv:2108.09598; "
                "WACV 2023)",),
    class_name="Serf",
)

PSERF = ActivationSpec(
    name="pserf",
    family="self-gated",
    summary="Pserf: x·erf(γ·ln(1 + e^{δx})), a parametric Serf (γ = 1.25, δ = 0.85).",
    latex=r"f(x) = x \operatorname{erf}\left(\gamma \ln(1 + e^{\delta x})\right)\quad "
          r"(\gamma = 1.25,\ \delta = 0.85)",
    forward=_erf_softplus_forward,
    derivative=_erf_softplus_derivative,
    second_derivative=_erf_softplus_second,
    params=(
        Param("gamma", 1.25, "γ, the scale of the log-softplus inside erf", low=0.0,
              low_open=True),
        Param("delta", 0.85, "δ, the slope of the softplus", low=0.0, low_open=True),
    ),
    properties=Properties((-0.5060068753569109, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Biswas, Kumar, Banerjee & Pandey 2022, ErfAct and Pserf: Non-monotonic "
                "Smooth Trainable Activation Functions (AAAI; arXiv:2109.04386)",),
    class_name="Pserf",
    notes="γ and δ are trainable in the paper, which initialises them at 1.25 and 0.85. "
          "γ = δ = 1 gives Serf.",
)


# --- erfact ----------------------------------------------------------------------------------
def _erfact_parts(x: T, alpha: float, beta: float) -> tuple[T, T, T]:
    """g = erf(v), g' and g'' for v = α·e^{βx} (clipped where e^{−v²} is exactly 0)."""
    v = torch.clamp(alpha * torch.exp(beta * x), max=_ERF_CLIP)
    e = _TWO_OVER_SQRT_PI * torch.exp(-v * v)
    return torch.erf(v), e * v * beta, e * v * beta * beta * (1 - 2 * v * v)


def _erfact_forward(x: T, alpha: float, beta: float) -> T:
    return _gated(x, torch.erf(torch.clamp(alpha * torch.exp(beta * x), max=_ERF_CLIP)))


def _erfact_derivative(x: T, alpha: float, beta: float) -> T:
    g, g1, _ = _erfact_parts(x, alpha, beta)
    return g + _zero_at_infinity(x, x * g1)


def _erfact_second(x: T, alpha: float, beta: float) -> T:
    _, g1, g2 = _erfact_parts(x, alpha, beta)
    return 2 * g1 + _zero_at_infinity(x, x * g2)


ERFACT = ActivationSpec(
    name="erfact",
    family="self-gated",
    summary="ErfAct: x·erf(α·e^{βx}) (α = β = 0.75).",
    latex=r"f(x) = x \operatorname{erf}\left(\alpha e^{\beta x}\right)\quad "
          r"(\alpha = \beta = 0.75)",
    forward=_erfact_forward,
    derivative=_erfact_derivative,
    second_derivative=_erfact_second,
    params=(
        Param("alpha", 0.75, "α, the scale of the exponential inside erf", low=0.0,
              low_open=True),
        Param("beta", 0.75, "β, the exponential's slope", low=0.0, low_open=True),
    ),
    properties=Properties((-0.405280845173458, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Biswas, Kumar, Banerjee & Pandey 2022, ErfAct and Pserf: Non-monotonic "
                "Smooth Trainable Activation Functions (AAAI; arXiv:2109.04386)",),
    class_name="ErfAct",
    notes="α and β are trainable in the paper, which initialises both at 0.75.",
)


# --- gish ------------------------------------------------------------------------------------
def _gish_parts(x: T) -> tuple[T, T, T]:
    """L = ln(2 − e^{−u}), L' and L'' for u = eˣ; L = log1p(−expm1(−u)) keeps L ≈ u."""
    u = torch.exp(torch.clamp(x, max=_DOUBLE_EXP_CLIP))
    q = torch.exp(-u)
    d = 2 - q
    L = torch.log1p(-torch.expm1(-u))
    L1 = u * q / d
    L2 = L1 * (2 - q - 2 * u) / d
    return L, L1, L2


def _gish_forward(x: T) -> T:
    u = torch.exp(torch.clamp(x, max=_DOUBLE_EXP_CLIP))
    return _gated(x, torch.log1p(-torch.expm1(-u)))


def _gish_derivative(x: T) -> T:
    L, L1, _ = _gish_parts(x)
    return L + _zero_at_infinity(x, x * L1)


def _gish_second(x: T) -> T:
    _, L1, L2 = _gish_parts(x)
    return 2 * L1 + _zero_at_infinity(x, x * L2)


GISH = ActivationSpec(
    name="gish",
    family="self-gated",
    summary="Gish: x·ln(2 − exp(−eˣ)); slope ln 2 for large x.",
    latex=r"f(x) = x \ln\left(2 - e^{-e^{x}}\right)",
    forward=_gish_forward,
    derivative=_gish_derivative,
    second_derivative=_gish_second,
    properties=Properties((-0.27815946089638693, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Kaytan, Aydilek & Yeroğlu 2023, Gish: a novel activation function for "
                "image classification (Neural Computing and Applications 35(34))",),
    class_name="Gish",
)


# --- golu ------------------------------------------------------------------------------------
def _gompertz_parts(x: T) -> tuple[T, T, T]:
    """g = exp(−e^{−x}), g' = exp(−x − e^{−x}) and g'' = g'·(e^{−x} − 1)."""
    xc = torch.clamp(x, min=-_DOUBLE_EXP_CLIP)
    g1 = torch.exp(-xc - torch.exp(-xc))
    return torch.exp(-torch.exp(-xc)), g1, g1 * torch.expm1(-xc)


def _golu_forward(x: T) -> T:
    return _gated(x, torch.exp(-torch.exp(-torch.clamp(x, min=-_DOUBLE_EXP_CLIP))))


def _golu_derivative(x: T) -> T:
    g, g1, _ = _gompertz_parts(x)
    return g + _zero_at_infinity(x, x * g1)


def _golu_second(x: T) -> T:
    _, g1, g2 = _gompertz_parts(x)
    return 2 * g1 + _zero_at_infinity(x, x * g2)


GOLU = ActivationSpec(
    name="golu",
    family="self-gated",
    summary="Gompertz linear unit: x·exp(−e^{−x}), gated by the Gumbel CDF.",
    latex=r"f(x) = x\, e^{-e^{-x}}",
    forward=_golu_forward,
    derivative=_golu_derivative,
    second_derivative=_golu_second,
    properties=Properties((-0.09726013122763941, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Das, Safari, Adriaensen & Hutter 2025, Gompertz Linear Units: Leveraging "
                "Asymmetry for Enhanced Learning Dynamics (NeurIPS; arXiv:2502.03654)",),
    aliases=("gompertz_linear_unit",),
    class_name="GoLU",
    notes="The gate is the log-log (Gompertz) curve, the `loglog` spec.",
)


# --- phish -----------------------------------------------------------------------------------
def _phish_parts(x: T) -> tuple[T, T, T, T, T]:
    """G = gelu(x), G', G'', tanh G and sech² G (φ-terms on a clipped x: φ is 0 beyond)."""
    xc = torch.clamp(x, -_DOUBLE_EXP_CLIP, _DOUBLE_EXP_CLIP)
    G = torch.where(x == -INF, torch.zeros_like(x), x * normal_cdf(x))
    G1 = normal_cdf(xc) + xc * normal_pdf(xc)
    G2 = normal_pdf(xc) * (2 - xc * xc)
    return G, G1, G2, torch.tanh(G), sech_squared(G)


def _phish_forward(x: T) -> T:
    G = torch.where(x == -INF, torch.zeros_like(x), x * normal_cdf(x))
    return _gated(x, torch.tanh(G))


def _phish_derivative(x: T) -> T:
    _, G1, _, t, s2 = _phish_parts(x)
    return t + _zero_at_infinity(x, x * s2 * G1)


def _phish_second(x: T) -> T:
    _, G1, G2, t, s2 = _phish_parts(x)
    return 2 * s2 * G1 + _zero_at_infinity(x, x * s2 * (G2 - 2 * t * G1 * G1))


PHISH = ActivationSpec(
    name="phish",
    family="self-gated",
    summary="Phish: x·tanh(GELU(x)).",
    latex=r"f(x) = x \tanh\left(x\,\Phi(x)\right)",
    forward=_phish_forward,
    derivative=_phish_derivative,
    second_derivative=_phish_second,
    properties=Properties((0.0, INF), (True, False), monotonic=False, smoothness=INF,
                          saturation="left"),
    references=("Naveen 2022, Phish: A Novel Hyper-Optimizable Activation Function "
                "(TechRxiv preprint 17283824)",),
    class_name="Phish",
    notes="GELU here is the exact x·Φ(x). Never negative: for x < 0 both x and tanh(xΦ(x)) "
          "are negative, so f rises to 0.164659 at x = −1.195431 and falls back to 0.",
)


# --- pflu ------------------------------------------------------------------------------------
def _pflu_parts(x: T) -> tuple[T, T]:
    """h = √(1 + x²) and t = x/h (t → ±1)."""
    h = torch.hypot(torch.ones_like(x), x)
    return h, x / h


def _pflu_forward(x: T) -> T:
    h, t = _pflu_parts(x)
    # x(1 + t)/2; for x < 0, 1 + t = 1/(h(h − x)) avoids the cancellation of 1 + t.
    # x·((1 + t)/2): x·(1 + t) would overflow near the dtype's maximum.
    y = torch.where(x < 0, t / (2 * (h - x)), x * ((1 + t) / 2))
    return at_infinity(y, x, 0.0, INF)


def _pflu_derivative(x: T) -> T:
    h, t = _pflu_parts(x)
    one_plus_t = torch.where(x < 0, 1 / h / (h - x), 1 + t)
    return at_infinity(one_plus_t / 2 + (t / h) / h / 2, x, 0.0, 1.0)


def _pflu_second(x: T) -> T:
    h, t = _pflu_parts(x)
    return at_infinity(((1 - 1.5 * t * t) / h) / h / h, x, 0.0, 0.0)


PFLU = ActivationSpec(
    name="pflu",
    family="self-gated",
    summary="Power function linear unit: x·(1 + x/√(1 + x²))/2.",
    latex=r"f(x) = \frac{x}{2}\left(1 + \frac{x}{\sqrt{1 + x^2}}\right)",
    forward=_pflu_forward,
    derivative=_pflu_derivative,
    second_derivative=_pflu_second,
    properties=Properties((-0.1501415530003888, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Zhu et al. 2021, PFLU and FPFLU: Two novel non-monotonic activation "
                "functions in convolutional neural networks (Neurocomputing 429)",),
    class_name="PFLU",
    notes="An algebraic (exp-free) Swish: the gate (1 + x/√(1 + x²))/2 is a sigmoid. The "
          "negative part tends to 0 like −1/(4|x|), not exponentially. Its minimum −0.150142 "
          "is at x = −0.786151.",
)


# --- sinlu -----------------------------------------------------------------------------------
def _sinlu_forward(x: T, a: float, b: float) -> T:
    y = (x + a * torch.sin(b * x)) * torch.sigmoid(x)
    return at_infinity(y, x, 0.0, INF)


def _sinlu_derivative(x: T, a: float, b: float) -> T:
    s, r = torch.sigmoid(x), torch.sigmoid(-x)
    p = x + a * torch.sin(b * x)
    p1 = 1 + a * b * torch.cos(b * x)
    return p1 * s + _zero_at_infinity(x, p * s * r)


def _sinlu_second(x: T, a: float, b: float) -> T:
    s, r = torch.sigmoid(x), torch.sigmoid(-x)
    p = x + a * torch.sin(b * x)
    p1 = 1 + a * b * torch.cos(b * x)
    p2 = -a * b * b * torch.sin(b * x)
    return p2 * s + 2 * p1 * s * r + _zero_at_infinity(x, p * s * r * (r - s))


SINLU = ActivationSpec(
    name="sinlu",
    family="self-gated",
    summary="Sinu-sigmoidal linear unit: (x + a·sin(bx))·σ(x) (a = b = 1).",
    latex=r"f(x) = \left(x + a \sin(b x)\right) \sigma(x)\quad (a = b = 1)",
    forward=_sinlu_forward,
    derivative=_sinlu_derivative,
    second_derivative=_sinlu_second,
    params=(
        Param("a", 1.0, "a, the amplitude of the sine"),
        Param("b", 1.0, "b, the frequency of the sine"),
    ),
    properties=Properties((-0.49737055418999104, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Paul, Bandyopadhyay, Yoon, Geem & Sarkar 2022, SinLU: Sinu-Sigmoidal "
                "Linear Unit (Mathematics 10(3), 337)",),
    class_name="SinLU",
    notes="a and b are trainable in the paper, initialised at 1. For large x the sine "
          "keeps a ripple of amplitude a around the identity.",
)


# --- hard elish ------------------------------------------------------------------------------
def _hard_elish_forward(x: T) -> T:
    gate = torch.clamp((x + 1) / 2, 0, 1)
    left = torch.expm1(torch.clamp(x, max=0)) * gate
    return torch.where(x >= 0, x * gate, left)


def _hard_elish_derivative(x: T) -> T:
    # The flat side owns the kink at −1 (f' = 0), the identity side the one at 1 (f' = 1),
    # as PyTorch's hardswish does at ±3; at 0 both pieces give 1/2.
    xn = torch.clamp(x, -1, 0)
    middle_left = (torch.exp(xn) * (xn + 2) - 1) / 2
    return torch.where(x <= -1, torch.zeros_like(x),
                       torch.where(x < 0, middle_left,
                                   torch.where(x < 1, x + 0.5, torch.ones_like(x))))


def _hard_elish_second(x: T) -> T:
    xn = torch.clamp(x, -1, 0)
    return torch.where((x > -1) & (x < 0), torch.exp(xn) * (xn + 3) / 2,
                       torch.where((x >= 0) & (x < 1), torch.ones_like(x),
                                   torch.zeros_like(x)))


HARD_ELISH = ActivationSpec(
    name="hard_elish",
    family="self-gated",
    summary="Hard ELiSH: ELiSH with the hard sigmoid max(0, min(1, (x + 1)/2)) as its gate.",
    latex=r"f(x) = \begin{cases} x \max\left(0, \min\left(1, \frac{x+1}{2}\right)\right) & "
          r"x \ge 0 \\ (e^x - 1) \max\left(0, \min\left(1, \frac{x+1}{2}\right)\right) & "
          r"x < 0 \end{cases}",
    forward=_hard_elish_forward,
    derivative=_hard_elish_derivative,
    second_derivative=_hard_elish_second,
    kinks=(-1.0, 0.0, 1.0),
    properties=Properties((-0.09967315152874262, INF), (True, False), monotonic=False,
                          smoothness=0, saturation="left"),
    references=("Basirat & Roth 2018, The Quest for the Golden Activation Function "
                "(arXiv:1808.00783)",),
    aliases=("hardelish",),
    class_name="HardELiSH",
    notes="Exactly 0 below −1 and the identity above 1. f' jumps at ±1; at 0 only f'' jumps "
          "(from 3/2 to 1).",
)


SPECS = (SERF, PSERF, ERFACT, GISH, GOLU, PHISH, PFLU, SINLU, HARD_ELISH)
