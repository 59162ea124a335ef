"""Units that a framework's dialect brought along: transformers' ACT2FN (gelu_fast,
gelu_10, laplace, sqrtsoftplus, xielu) and TensorFlow's tf.nn.crelu.

Each is defined once here with its formula; the dialect tables (catalog/dialects.py) and
tf.nn's flavor name them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from actlab.catalog.families.exponential import _softplus_derivative, _softplus_forward
from actlab.catalog.families.self_gated import gelu_tanh_parts, gelu_tanh_second
from actlab.catalog.primitives import at_infinity, heaviside, normal_cdf, normal_pdf
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties, flavor

T = torch.Tensor

#: Beyond |x| = 1000 the exponentially small factors are exactly 0 in float64.
_TAIL = 1000.0


# --- gelu_fast: GELU's tanh form with √(2/π) written to ten digits --------------------------
_FAST_C = 0.7978845608  # transformers' FastGELUActivation: √(2/π) to 10 decimals
_FAST_K = 0.044715


def _gelu_fast_forward(x: T) -> T:
    u = _FAST_C * x * (1 + _FAST_K * x * x)
    return at_infinity(x * torch.sigmoid(2 * u), x, 0.0, INF)


def _gelu_fast_derivative(x: T) -> T:
    x = torch.clamp(x, -_TAIL, _TAIL)
    _, u1, s, r = gelu_tanh_parts(x, _FAST_K, _FAST_C)
    return s + 2 * x * u1 * s * r


GELU_FAST = ActivationSpec(
    name="gelu_fast",
    family="self-gated",
    summary="GELU's tanh approximation as BERT's fast_gelu writes it: √(2/π) to ten digits.",
    latex=r"f(x) = \tfrac{x}{2}\left(1 + \tanh\left(0.7978845608\,x\,(1 + 0.044715 x^2)"
          r"\right)\right)",
    forward=_gelu_fast_forward,
    derivative=_gelu_fast_derivative,
    second_derivative=lambda x: gelu_tanh_second(torch.clamp(x, -_TAIL, _TAIL), _FAST_K,
                                                 _FAST_C),
    properties=Properties((-0.17004075057183596, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Hendrycks & Gimpel 2016, Gaussian Error Linear Units (GELUs) "
                "(arXiv:1606.08415), the tanh approximation",),
    aliases=("fast_gelu",),
    class_name="GELUFast",
    notes="It differs from gelu(approximate='tanh') only by √(2/π) rounded to 0.7978845608 "
          "(4e-12 relative): invisible in float32, not in float64. Minimum (mpmath, 40 "
          "digits): -0.1700407505718 at x = -0.75246.",
)


# --- clipped gelu (transformers' gelu_10) ------------------------------------------------
_GELU_MIN = -0.16997120747990366  # min of x·Φ(x), at x = -0.75179


def _gelu(x: float) -> float:
    return 0.5 * x * math.erfc(-x / math.sqrt(2.0))


def _gelu_level(level: float, low: float, high: float) -> float:
    """The x in [low, high] where the exact GELU (monotonic there) equals `level`."""
    increasing = _gelu(high) > _gelu(low)
    for _ in range(200):
        mid = 0.5 * (low + high)
        if (_gelu(mid) < level) == increasing:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def _clipped_gelu_kinks(min_value: float, max_value: float) -> tuple[float, ...]:
    kinks = []
    if min_value > _GELU_MIN:  # the floor cuts the dip: twice on the left, or once
        if min_value < 0:
            kinks += [_gelu_level(min_value, -40.0, -0.7517916243),
                      _gelu_level(min_value, -0.7517916243, 0.0)]
        else:
            kinks.append(_gelu_level(min_value, 0.0, max(2 * min_value, 1.0) + 10))
    kinks.append(_gelu_level(max_value, min(max_value, 0.0), max(2 * max_value, 1.0) + 10))
    return tuple(kinks)


def _clipped_gelu_forward(x: T, min_value: float, max_value: float) -> T:
    y = torch.clamp(F.gelu(x), min_value, max_value)
    # gelu(−∞) = −∞·0: the limits are the clip of 0 and the cap.
    return at_infinity(y, x, min(max(0.0, min_value), max_value), max_value)


def _clipped_gelu_derivative(x: T, min_value: float, max_value: float) -> T:
    # clip's gradient passes at both ends (torch.clip), judged on the rounded gelu(x).
    y = F.gelu(torch.clamp(x, -_TAIL, _TAIL))
    x = torch.clamp(x, -_TAIL, _TAIL)
    slope = normal_cdf(x) + x * normal_pdf(x)
    return torch.where((y >= min_value) & (y <= max_value), slope, torch.zeros_like(x))


def _clipped_gelu_second(x: T, min_value: float, max_value: float) -> T:
    x = torch.clamp(x, -_TAIL, _TAIL)
    y = F.gelu(x)
    inside = (y > min_value) & (y < max_value)
    return torch.where(inside, normal_pdf(x) * (2 - x * x), torch.zeros_like(x))


CLIPPED_GELU = ActivationSpec(
    name="clipped_gelu",
    family="self-gated",
    summary="GELU clipped to [min_value, max_value] (transformers' gelu_10, for quantisation).",
    latex=r"f(x) = \min(\max(x\,\Phi(x), a), b)\quad (a = -10,\ b = 10)",
    forward=_clipped_gelu_forward,
    derivative=_clipped_gelu_derivative,
    second_derivative=_clipped_gelu_second,
    params=(
        Param("min_value", -10.0, "a: the floor (transformers' min)"),
        Param("max_value", 10.0, "b: the cap (transformers' max)"),
    ),
    check=lambda p: (None if p["min_value"] < p["max_value"] and p["max_value"] > _GELU_MIN
                     else "min_value must be below max_value, and max_value above GELU's "
                          "minimum -0.16997"),
    kinks=_clipped_gelu_kinks,
    properties=Properties((_GELU_MIN, 10.0), (True, True), monotonic=False, smoothness=0,
                          saturation="both"),
    references=("Wu et al. 2020, Integer Quantization for Deep Learning Inference: Principles "
                "and Empirical Evaluation (arXiv:2004.09602)",
                "Hendrycks & Gimpel 2016, Gaussian Error Linear Units (GELUs) "
                "(arXiv:1606.08415)"),
    class_name="ClippedGELU",
    notes="transformers' ClippedGELUActivation (gelu_10: [-10, 10]); the floor only bites "
          "above GELU's minimum -0.16997.",
)


# --- laplace (MEGA's attention activation) -----------------------------------------------
def _laplace_z(x: T, mu: float, sigma: float) -> T:
    return (x - mu) / (sigma * math.sqrt(2.0))


def _laplace_derivative(x: T, mu: float, sigma: float) -> T:
    z = _laplace_z(x, mu, sigma)
    return torch.exp(-z * z) / (sigma * math.sqrt(2 * math.pi))


def _laplace_second(x: T, mu: float, sigma: float) -> T:
    slope = _laplace_derivative(x, mu, sigma)
    # (x − μ)·f' → 0 at ±∞ (inf·0 otherwise).
    return torch.where(slope > 0, -(x - mu) / sigma ** 2 * slope, torch.zeros_like(x))


LAPLACE = ActivationSpec(
    name="laplace",
    family="sigmoid",
    summary="MEGA's Laplace attention function: the normal CDF Φ((x − μ)/σ).",
    latex=r"f(x) = \tfrac12\left(1 + \operatorname{erf}\frac{x - \mu}{\sigma\sqrt2}\right)"
          r"\quad (\mu = \sqrt{1/2},\ \sigma = \sqrt{1/(4\pi)})",
    forward=lambda x, mu, sigma: 0.5 * torch.erfc(-_laplace_z(x, mu, sigma)),
    derivative=_laplace_derivative,
    second_derivative=_laplace_second,
    params=(
        Param("mu", math.sqrt(0.5), "μ: where f = 1/2"),
        Param("sigma", math.sqrt(1 / (4 * math.pi)), "σ: the width", low=0.0, low_open=True),
    ),
    properties=Properties((0.0, 1.0), monotonic=True, smoothness=INF, saturation="both"),
    references=("Ma et al. 2023, Mega: Moving Average Equipped Gated Attention (ICLR; "
                "arXiv:2209.10655)",),
    class_name="Laplace",
    notes="With MEGA's μ = √(1/2), σ = √(1/(4π)) it approximates relu² near 0 but stays in "
          "[0, 1]. transformers' LaplaceActivation writes them 0.707107 and 0.282095.",
)


# --- sqrt(softplus) (DeepSeek V4's router score) ------------------------------------------
#: Below it log(1 + eˣ) = eˣ to float64 precision (eˣ/2 < 2⁻⁵³), so f = e^{x/2}, which
#: stays representable long after softplus itself underflows (x < −745).
_SQRT_SOFTPLUS_TAIL = -40.0


def _sqrt_softplus_forward(x: T, threshold: float | None) -> T:
    inner = torch.clamp(x, min=_SQRT_SOFTPLUS_TAIL)  # the unused branch stays finite
    return torch.where(x < _SQRT_SOFTPLUS_TAIL, torch.exp(x / 2),
                       torch.sqrt(_softplus_forward(inner, 1.0, threshold)))


def _sqrt_softplus_derivative(x: T, threshold: float | None) -> T:
    inner = torch.clamp(x, min=_SQRT_SOFTPLUS_TAIL)
    slope = _softplus_derivative(inner, 1.0, threshold)
    value = 0.5 * slope / torch.sqrt(_softplus_forward(inner, 1.0, threshold))
    return torch.where(x < _SQRT_SOFTPLUS_TAIL, 0.5 * torch.exp(x / 2), value)


def _sqrt_softplus_second(x: T, threshold: float | None) -> T:
    inner = torch.clamp(x, min=_SQRT_SOFTPLUS_TAIL)
    sp = _softplus_forward(inner, 1.0, threshold)
    s = _softplus_derivative(inner, 1.0, threshold)
    curvature = torch.sigmoid(inner) * torch.sigmoid(-inner)
    if threshold is not None:
        curvature = torch.where(inner < threshold, curvature, torch.zeros_like(x))
    root = torch.sqrt(sp)
    value = 0.5 * curvature / root - 0.25 * s * s / (root * sp)
    return torch.where(x < _SQRT_SOFTPLUS_TAIL, 0.25 * torch.exp(x / 2), value)


SQRT_SOFTPLUS = ActivationSpec(
    name="sqrt_softplus",
    family="exponential",
    summary="√softplus(x): a smooth, slowly growing score (DeepSeek V4's router).",
    latex=r"f(x) = \sqrt{\log(1 + e^{x})}\quad (\sqrt{x} \text{ where } x > "
          r"\text{threshold})",
    forward=_sqrt_softplus_forward,
    derivative=_sqrt_softplus_derivative,
    second_derivative=_sqrt_softplus_second,
    params=(Param("threshold", None, "softplus is x above it (PyTorch's softplus: 20); None "
                  "for the exact function", kind="optional_float"),),
    kinks=lambda threshold: () if threshold is None else (threshold,),
    properties=Properties((0.0, INF), monotonic=True, smoothness=INF, saturation="left"),
    references=("transformers' SqrtSoftplusActivation: the router scoring function of "
                "DeepSeek V4",),
    aliases=("sqrtsoftplus",),
    class_name="SqrtSoftplus",
    notes="f' = σ(x)/(2f): e^{x/2}/2 on the left, 1/(2√x) on the right, which decays too "
          "slowly to count as saturation.",
)


# --- crelu (concatenated ReLU) --------------------------------------------------------------
def _crelu_forward(x: T, dim: int) -> T:
    return torch.cat([torch.relu(x), torch.relu(-x)], dim=dim)


def _crelu_vjp(x: T, grad: T, dim: int) -> T:
    positive, negative = torch.chunk(grad, 2, dim=dim)
    return positive * heaviside(x > 0, x) - negative * heaviside(x < 0, x)


CRELU = ActivationSpec(
    name="crelu",
    family="rectifier",
    kind="vector",
    summary="Concatenated ReLU: (relu(x), relu(−x)) side by side, twice the features.",
    latex=r"f(x) = \left[\max(x, 0),\ \max(-x, 0)\right]",
    forward=_crelu_forward,
    vjp=_crelu_vjp,
    params=(Param("dim", -1, "the dimension along which the halves are concatenated",
                  kind="int"),),
    properties=Properties((0.0, INF), (True, False), monotonic=None, smoothness=0,
                          saturation="none"),
    references=("Shang, Sohn, Almeida & Lee 2016, Understanding and Improving "
                "Convolutional Neural Networks via Concatenated Rectified Linear Units "
                "(ICML)",),
    flavors={"tf": flavor("tf", {}, "tf.nn.crelu", renames={"axis": "dim"})},
    class_name="CReLU",
    notes="The output has twice as many features along dim as the input.",
)

# --- xIELU ---------------------------------------------------------------------------------
def _xielu_forward(x: T, alpha_p, alpha_n, beta: float, eps: float) -> T:
    # minimum (not clamp): at x = ε it shares the gradient between its two sides, as
    # transformers' torch.min(x, eps) does.
    low = torch.minimum(x, torch.full_like(x, eps))
    y = torch.where(x > 0, alpha_p * x * x + beta * x,
                    (torch.expm1(low) - x) * alpha_n + beta * x)
    # At −∞, α_n·∞ − β·∞: the limit is +∞ (α_n > β).
    return torch.where(x == -INF, torch.full_like(y, INF), y)


def _xielu_derivative(x: T, alpha_p, alpha_n, beta: float, eps: float) -> T:
    low = torch.minimum(x, torch.full_like(x, eps))
    share = heaviside(x < eps, x) + 0.5 * heaviside(x == eps, x)
    return torch.where(x > 0, 2 * alpha_p * x + beta,
                       alpha_n * (torch.exp(low) * share - 1) + beta)


def _xielu_second(x: T, alpha_p, alpha_n, beta: float, eps: float) -> T:
    low = torch.minimum(x, torch.full_like(x, eps))
    return torch.where(x > 0, 2 * alpha_p * torch.ones_like(x),
                       alpha_n * torch.exp(low) * heaviside(x < eps, x))


def _xielu_grad_alpha_n(x: T, alpha_p, alpha_n, beta: float, eps: float) -> T:
    low = torch.minimum(x, torch.full_like(x, eps))
    return torch.where(x > 0, torch.zeros_like(x), torch.expm1(low) - x)


def _transformers_xielu_defaults() -> dict[str, float]:
    """transformers' XIELUActivation keeps softplus⁻¹(α_p) and softplus⁻¹(α_n − β), β and
    ε as bfloat16 tensors (its dtype argument), and computes α_p = softplus(·),
    α_n = β + softplus(·) when called: the values it computes with at its defaults."""
    bf16 = torch.bfloat16
    raw_p = torch.log(torch.expm1(torch.tensor(0.8, dtype=bf16)))
    raw_n = torch.log(torch.expm1(torch.tensor(0.8 - 0.5, dtype=bf16)))
    beta = torch.tensor(0.5, dtype=bf16).double()
    return {"alpha_p": float(F.softplus(raw_p.double())),
            "alpha_n": float(beta + F.softplus(raw_n.double())),
            "beta": float(beta), "eps": float(torch.tensor(-1e-6, dtype=bf16))}


XIELU = ActivationSpec(
    name="xielu",
    family="rectifier",
    summary="xIELU: a learnable quadratic above 0 and an integrated ELU below (Apertus).",
    latex=r"f(x) = \begin{cases} \alpha_p x^2 + \beta x & x > 0 \\ "
          r"\alpha_n\left(e^{\min(x, \epsilon)} - 1 - x\right) + \beta x & x \le 0 "
          r"\end{cases}",
    forward=_xielu_forward,
    derivative=_xielu_derivative,
    second_derivative=_xielu_second,
    param_gradients={
        "alpha_p": lambda x, alpha_p, alpha_n, beta, eps: torch.where(
            x > 0, x * x, torch.zeros_like(x)),
        "alpha_n": _xielu_grad_alpha_n,
    },
    params=(
        Param("alpha_p", 0.8, "α_p > 0: curvature for x > 0 (learned)", low=0.0,
              low_open=True, learnable=True, trainable=True),
        Param("alpha_n", 0.8, "α_n > β: scale of the negative side (learned)", learnable=True,
              trainable=True),
        Param("beta", 0.5, "β: the slope at 0"),
        Param("eps", -1e-6, "ε ≤ 0: where the exponential stops", high=0.0),
    ),
    check=lambda p: (None if isinstance(p["alpha_n"], torch.Tensor) or p["alpha_n"] > p["beta"]
                     else "alpha_n must exceed beta"),
    kinks=lambda alpha_p, alpha_n, beta, eps: (eps, 0.0),
    properties=Properties((-0.2057512240964821, INF), (True, False), monotonic=False,
                          smoothness=0, saturation="none"),
    references=("Huang & Schlag 2024, Deriving Activation Functions Using Integration "
                "(arXiv:2411.13010)",),
    flavors={"transformers": flavor(
        "transformers", _transformers_xielu_defaults(), "transformers:xielu",
        note="transformers' α_p, α_n, β, ε at their bfloat16 values")},
    class_name="XIELU",
    notes="Below 0 the exponential is evaluated at min(x, ε), so f steps by α_n·(e^ε − 1) "
          "≈ −8e-7 at 0 (counted as continuous: below the catalog's 1e-4 scale of a jump) "
          "and its slope jumps at ε and at 0 (f'(0) = β − α_n). The paper and "
          "transformers learn α through softplus (α_p = softplus(a), α_n = β + softplus(b)); "
          "actlab learns α_p and α_n themselves, so the input gradients are the same but an "
          "optimizer step is not. Minimum −0.2058 at x = ln(1 − β/α_n).",
)

SPECS = (GELU_FAST, CLIPPED_GELU, LAPLACE, SQRT_SOFTPLUS, CRELU, XIELU)
