"""Self-gated units: the input times a gate computed from the input itself, f(x) = x·g(x).

GELU, SiLU (Swish), Mish and their relatives. Every one but the hard variants is smooth,
so their derivatives need no convention; hard_swish follows PyTorch's autograd at its
kinks (0 at -3, 1 at +3) and hard_mish the same rule (0 at -2, the linear side at 0).

Stability: gates are written with the sigmoid, never with 1 + tanh (which cancels for
negative x); sech²(u) is 4σ(2u)σ(-2u); products such as x·sech²(x), whose factors are
0 and ∞ only at x = ±∞, are replaced by their limit 0 there.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from actlab.catalog.primitives import at_infinity, heaviside, normal_cdf, normal_pdf
from actlab.catalog.spec import (
    INF,
    ActivationSpec,
    Param,
    Properties,
    flavor,
    round_to_float32,
)

T = torch.Tensor

#: Beyond |x| = 1000 every exponentially small factor below is exactly 0 in float64, so
#: clipping x there changes no derivative value and keeps x³ and x² finite.
_TAIL = 1000.0


def _sigmoid(x: T) -> T:
    return torch.sigmoid(x)


def _sech2(u: T) -> T:
    """sech²(u) = 4σ(2u)σ(-2u), accurate where tanh(u) rounds to ±1."""
    return 4 * torch.sigmoid(2 * u) * torch.sigmoid(-2 * u)


def _zero_at_infinity(x: T, term: T) -> T:
    """`term` with its limit 0 where x = ±inf (a product like x·sech²(x) gives inf·0)."""
    return torch.where(torch.isinf(x), torch.zeros_like(term), term)


# --- gelu ---------------------------------------------------------------------------------
_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715


def gelu_tanh_parts(x: T, k: float = _GELU_K, c: float = _GELU_C) -> tuple[T, T, T, T]:
    """u = c(x + kx³), u' and the gate σ(2u) = (1 + tanh u)/2 with its complement, for
    GELU's tanh form (c = √(2/π), k = 0.044715)."""
    u = c * (x + k * x * x * x)
    u1 = c * (1 + 3 * k * x * x)
    return u, u1, _sigmoid(2 * u), _sigmoid(-2 * u)


def gelu_tanh_second(x: T, k: float = _GELU_K, c: float = _GELU_C) -> T:
    """f'' of x·σ(2u), u = c(x + kx³)."""
    _, u1, s, r = gelu_tanh_parts(x, k, c)
    u2 = 6 * c * k * x
    return 2 * s * r * (2 * u1 + x * (u2 + 2 * u1 * u1 * (r - s)))


def _gelu_forward(x: T, approximate: str) -> T:
    if approximate == "tanh":
        u = _GELU_C * (x + _GELU_K * x * x * x)
        y = x * _sigmoid(2 * u)
    else:
        y = x * normal_cdf(x)
    return at_infinity(y, x, 0.0, INF)


def _gelu_derivative(x: T, approximate: str) -> T:
    x = torch.clamp(x, -_TAIL, _TAIL)
    if approximate == "tanh":
        _, u1, s, r = gelu_tanh_parts(x)
        return s + 2 * x * u1 * s * r
    return normal_cdf(x) + x * normal_pdf(x)


def _gelu_second_derivative(x: T, approximate: str) -> T:
    x = torch.clamp(x, -_TAIL, _TAIL)
    if approximate == "tanh":
        return gelu_tanh_second(x)
    return normal_pdf(x) * (2 - x * x)


#: TensorFlow's tf.nn.gelu (so Keras 2's gelu) makes its constants with math_ops.cast,
#: which goes through a float32 tensor: 1/√2 (exact form) and 0.044715 (tanh form) are
#: float32 values, for float64 inputs too; √(2/π) multiplies as a Python float.
_TF_INV_SQRT_2 = round_to_float32(1 / math.sqrt(2.0))
_TF_GELU_K = round_to_float32(_GELU_K)


def _tensorflow_gelu_forward(x: T, approximate: str) -> T:
    if approximate == "tanh":
        u = _GELU_C * (x + _TF_GELU_K * x * x * x)
        y = x * _sigmoid(2 * u)
    else:
        y = 0.5 * x * torch.erfc(-x * _TF_INV_SQRT_2)
    return at_infinity(y, x, 0.0, INF)


def _tensorflow_gelu_derivative(x: T, approximate: str) -> T:
    x = torch.clamp(x, -_TAIL, _TAIL)
    if approximate == "tanh":
        _, u1, s, r = gelu_tanh_parts(x, _TF_GELU_K)
        return s + 2 * x * u1 * s * r
    z = x * _TF_INV_SQRT_2
    return 0.5 * torch.erfc(-z) + x * (_TF_INV_SQRT_2 / math.sqrt(math.pi)) * torch.exp(-z * z)


def _tensorflow_gelu_second(x: T, approximate: str) -> T:
    x = torch.clamp(x, -_TAIL, _TAIL)
    if approximate == "tanh":
        return gelu_tanh_second(x, _TF_GELU_K)
    z = x * _TF_INV_SQRT_2
    return (2 * _TF_INV_SQRT_2 / math.sqrt(math.pi)) * torch.exp(-z * z) * (1 - z * z)


def _gelu_native(x: T, approximate: str) -> T:
    # PyTorch's exact-GELU kernel rounds strided inputs differently (scalar erf instead of
    # the vectorised one); a contiguous input gives the same bits whatever the layout.
    return F.gelu(x.contiguous(), approximate=approximate)


GELU = ActivationSpec(
    name="gelu",
    family="self-gated",
    summary="Gaussian error linear unit: x weighted by the normal CDF Φ(x).",
    latex=(r"f(x) = x\,\Phi(x) = \tfrac{x}{2}\left(1 + \operatorname{erf}(x/\sqrt{2})\right)"
           r"\quad \text{tanh: } \tfrac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}"
           r"\,(x + 0.044715 x^3)\right)\right)"),
    forward=_gelu_forward,
    derivative=_gelu_derivative,
    second_derivative=_gelu_second_derivative,
    native=_gelu_native,
    params=(
        Param("approximate", "none", "'none' for the exact Φ, 'tanh' for its tanh "
              "approximation; True/False (Keras, JAX) mean 'tanh'/'none'", kind="choice",
              choices=("none", "tanh"), value_map={True: "tanh", False: "none"}),
    ),
    properties=Properties((-0.16997120747990366, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Hendrycks & Gimpel 2016, Gaussian Error Linear Units (GELUs) "
                "(arXiv:1606.08415)",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.GELU", "torch.nn.functional.gelu"),
        "keras": flavor("keras", {"approximate": "none"}, "keras.activations.gelu",
                        ("keras.ops.gelu", {"approximate": "tanh"}),
                        note="keras.activations.gelu is exact by default (approximate="
                             "False) but keras.ops.gelu uses the tanh form (approximate=True)"),
        "keras2": flavor("keras2", {"approximate": "none"}, "tf.keras.activations.gelu",
                         forward=_tensorflow_gelu_forward,
                         derivative=_tensorflow_gelu_derivative,
                         second_derivative=_tensorflow_gelu_second,
                         note="tf.nn.gelu: 1/√2 and 0.044715 are float32 constants, also "
                              "for float64 inputs"),
        "tf": flavor("tf", {"approximate": "none"}, "tf.nn.gelu",
                     forward=_tensorflow_gelu_forward, derivative=_tensorflow_gelu_derivative,
                     second_derivative=_tensorflow_gelu_second,
                     note="1/√2 and 0.044715 are float32 constants, also for float64 inputs"),
        "jax": flavor("jax", {"approximate": "tanh"}, "jax.nn.gelu",
                      note="jax.nn.gelu defaults to the tanh approximation"),
    },
    class_name="GELU",
    notes="Properties are those of the exact form; the tanh form's minimum is -0.170041 "
          "at x = -0.752461.",
)


# --- swish-β / silu, and quick_gelu ----------------------------------------------------------
def _swish_forward(x: T, beta) -> T:
    s = _sigmoid(beta * x)
    # x·σ(βx) -> 0 where σ underflows to 0 (and at x = ∓inf, where inf·0 gives nan).
    return torch.where(s == 0, torch.zeros_like(s), x * s)


def _swish_derivative(x: T, beta) -> T:
    t = beta * x
    s, r = _sigmoid(t), _sigmoid(-t)
    return s + _zero_at_infinity(t, t * s * r)


def _swish_second_derivative(x: T, beta) -> T:
    t = beta * x
    s, r = _sigmoid(t), _sigmoid(-t)
    return _zero_at_infinity(t, beta * s * r * (2 + t * (r - s)))


def _swish_beta_gradient(x: T, beta) -> T:
    # ∂f/∂β = x²σ(βx)σ(-βx), written as (xσ)(xσ') so that x² never overflows.
    t = beta * x
    return _zero_at_infinity(x, (x * _sigmoid(t)) * (x * _sigmoid(-t)))


def _silu_native(x: T, beta, inplace: bool = False) -> T:
    return F.silu(x, inplace=inplace)


SILU = ActivationSpec(
    name="silu",
    family="self-gated",
    summary="Sigmoid-weighted linear unit (Swish): x·σ(βx), β = 1 unless learned.",
    latex=r"f(x) = x\,\sigma(\beta x) = \frac{x}{1 + e^{-\beta x}}\quad (\beta = 1)",
    forward=_swish_forward,
    derivative=_swish_derivative,
    second_derivative=_swish_second_derivative,
    param_gradients={"beta": _swish_beta_gradient},
    native=_silu_native,
    native_when=lambda p: not isinstance(p["beta"], T) and p["beta"] == 1,
    native_inplace=True,
    params=(
        Param("beta", 1.0, "β, the gate's slope (Swish-β; learnable with trainable=True)",
              learnable=True, trainable=False),
        Param("num_parameters", 1, "number of learned β: 1 or the number of channels "
              "(dim 1)", kind="int", low=1, role="layout"),
    ),
    properties=Properties((-0.2784645427610738, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=(
        "Elfwing, Uchibe & Doya 2018, Sigmoid-weighted linear units for neural network "
        "function approximation in reinforcement learning (Neural Networks)",
        "Ramachandran, Zoph & Le 2017, Searching for Activation Functions "
        "(arXiv:1710.05941)",
    ),
    aliases=("swish", "swish_beta"),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.SiLU", "torch.nn.functional.silu"),
        "keras": flavor("keras", {}, "keras.activations.silu", "keras.activations.swish",
                        "keras.ops.silu", "keras.ops.swish"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.swish",
                         note="tf.keras.activations.swish(x) = x·sigmoid(x), no β"),
        "tf": flavor("tf", {}, "tf.nn.silu", "tf.nn.swish", float32=("beta",),
                     note="β goes through a float32 tensor, also for float64 inputs"),
        "jax": flavor("jax", {}, "jax.nn.silu", "jax.nn.swish"),
    },
    class_name="SiLU",
    notes="With β = 1 this is PyTorch's SiLU (the native op); any other β, or a learned β "
          "(trainable=True), runs the analytic Function. The minimum -0.278465 = -W(1/e) "
          "is attained at x = -1 - W(1/e) = -1.278465.",
)

QUICK_GELU = ActivationSpec(
    name="quick_gelu",
    family="self-gated",
    summary="GELU's sigmoid approximation x·σ(1.702x), as used in CLIP.",
    latex=r"f(x) = x\,\sigma(1.702\,x)",
    forward=lambda x: _swish_forward(x, 1.702),
    derivative=lambda x: _swish_derivative(x, 1.702),
    second_derivative=lambda x: _swish_second_derivative(x, 1.702),
    properties=Properties((-0.1636101896363536, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=(
        "Hendrycks & Gimpel 2016, Gaussian Error Linear Units (GELUs) (arXiv:1606.08415), "
        "the approximation x·σ(1.702x)",
        "Radford et al. 2021, Learning Transferable Visual Models From Natural Language "
        "Supervision (ICML), which uses it as QuickGELU",
    ),
    class_name="QuickGELU",
    notes="No framework ships it as an activation (Hugging Face's QuickGELUActivation is "
          "the same formula).",
)


# --- mish ----------------------------------------------------------------------------------
def _mish_parts(x: T) -> tuple[T, T, T]:
    """tanh(softplus x), sech²(softplus x) and σ(x); e^{-softplus x} = σ(-x)."""
    q = _sigmoid(-x) ** 2
    gate = torch.tanh(torch.logaddexp(x, torch.zeros_like(x)))
    return gate, 4 * q / (1 + q) ** 2, _sigmoid(x)


def _mish_forward(x: T) -> T:
    y = x * torch.tanh(torch.logaddexp(x, torch.zeros_like(x)))
    return at_infinity(y, x, 0.0, INF)


def _mish_derivative(x: T) -> T:
    g, s2, s = _mish_parts(x)
    return g + _zero_at_infinity(x, x * s2 * s)


def _mish_second_derivative(x: T) -> T:
    g, s2, s = _mish_parts(x)
    return _zero_at_infinity(x, s2 * s * (2 + x * (1 - s - 2 * g * s)))


MISH = ActivationSpec(
    name="mish",
    family="self-gated",
    summary="Mish: x·tanh(softplus(x)), a smooth self-regularised non-monotonic unit.",
    latex=r"f(x) = x \tanh\left(\ln(1 + e^x)\right)",
    forward=_mish_forward,
    derivative=_mish_derivative,
    second_derivative=_mish_second_derivative,
    native=lambda x, inplace=False: F.mish(x, inplace=inplace),
    native_inplace=True,
    properties=Properties((-0.3088434130172504, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Misra 2020, Mish: A Self Regularized Non-Monotonic Activation Function "
                "(BMVC; arXiv:1908.08681)",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Mish", "torch.nn.functional.mish"),
        "keras": flavor("keras", {}, "keras.activations.mish"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.mish"),
        "jax": flavor("jax", {}, "jax.nn.mish"),
    },
    class_name="Mish",
)


# --- hard swish, hard mish -----------------------------------------------------------------
def _hard_swish_forward(x: T) -> T:
    # Written piecewise so that autograd gives PyTorch's convention at the kinks.
    return torch.where(x <= -3, torch.zeros_like(x),
                       torch.where(x >= 3, x, x * (x + 3) / 6))


def _hard_swish_derivative(x: T) -> T:
    # PyTorch: hardswish'(-3) = 0 and hardswish'(3) = 1 (the outer pieces own the kinks).
    return torch.where(x <= -3, torch.zeros_like(x),
                       torch.where(x >= 3, torch.ones_like(x), x / 3 + 0.5))


def _jax_hard_swish_derivative(x: T) -> T:
    # JAX: x·relu6(x + 3)/6 by the product rule, relu6' = 1 strictly inside (0, 6) of the
    # rounded x + 3.
    shifted = x + 3
    return (torch.clamp(shifted, 0, 6) + x * heaviside((shifted > 0) & (shifted < 6), x)) / 6


HARD_SWISH = ActivationSpec(
    name="hard_swish",
    family="self-gated",
    summary="Hard swish (MobileNetV3): x·relu6(x + 3)/6, a piecewise-quadratic SiLU.",
    latex=r"f(x) = x\,\frac{\operatorname{ReLU6}(x + 3)}{6} = \begin{cases} 0 & x \le -3 \\ "
          r"x(x + 3)/6 & -3 < x < 3 \\ x & x \ge 3 \end{cases}",
    forward=_hard_swish_forward,
    derivative=_hard_swish_derivative,
    second_derivative=lambda x: heaviside((x > -3) & (x < 3), x) / 3,
    native=lambda x, inplace=False: F.hardswish(x, inplace=inplace),
    native_inplace=True,
    kinks=(-3.0, 3.0),
    properties=Properties((-0.375, INF), (True, False), monotonic=False, smoothness=0,
                          saturation="left"),
    references=("Howard et al. 2019, Searching for MobileNetV3 (ICCV)",),
    aliases=("hardswish", "hard_silu"),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Hardswish", "torch.nn.functional.hardswish"),
        "keras": flavor("keras", {}, "keras.activations.hard_silu",
                        "keras.activations.hard_swish", "keras.ops.hard_silu",
                        "keras.ops.hard_swish"),
        "jax": flavor("jax", {}, "jax.nn.hard_silu", "jax.nn.hard_swish",
                      derivative=_jax_hard_swish_derivative,
                      note="x·relu6(x + 3)/6 differentiated as a product: f'(−3) = 0, "
                           "f'(3) = 1, with x + 3 rounded first"),
    },
    class_name="Hardswish",
)


def _hard_mish_forward(x: T) -> T:
    return torch.where(x <= -2, torch.zeros_like(x),
                       torch.where(x >= 0, x, x * (x + 2) / 2))


def _hard_mish_derivative(x: T) -> T:
    # 0 at -2 (the flat side owns the kink, as for hard_swish); f' is continuous at 0.
    return torch.where(x <= -2, torch.zeros_like(x),
                       torch.where(x >= 0, torch.ones_like(x), x + 1))


def _timm_hard_mish_derivative(x: T) -> T:
    # timm's memory-efficient backward (hard_mish_bwd): 1 from -2 on, x + 1 on [-2, 0].
    return torch.where(x >= -2, torch.where(x <= 0, x + 1, torch.ones_like(x)),
                       torch.zeros_like(x))


HARD_MISH = ActivationSpec(
    name="hard_mish",
    family="self-gated",
    summary="Hard Mish: x/2·clip(x + 2, 0, 2), a piecewise-quadratic Mish.",
    latex=r"f(x) = \tfrac{x}{2}\min(\max(x + 2, 0), 2) = \begin{cases} 0 & x \le -2 \\ "
          r"x(x + 2)/2 & -2 < x < 0 \\ x & x \ge 0 \end{cases}",
    forward=_hard_mish_forward,
    derivative=_hard_mish_derivative,
    second_derivative=lambda x: heaviside((x > -2) & (x < 0), x),
    kinks=(-2.0, 0.0),
    properties=Properties((-0.5, INF), (True, False), monotonic=False, smoothness=0,
                          saturation="left"),
    references=("Misra 2020, H-Mish (github.com/digantamisra98/H-Mish), as implemented "
                "in timm's hard_mish",),
    aliases=("hardmish",),
    flavors={"timm": flavor("timm", {}, "timm:hard_mish", derivative=_timm_hard_mish_derivative,
                            note="timm's HardMishMe backward: x + 1 on [−2, 0], so "
                                 "f'(−2) = −1")},
    class_name="HardMish",
    notes="C0 at -2 (the slope jumps from 0 to -1) but C1 at 0 (only f'' jumps). The source "
          "is a README, not a paper.",
)


# --- tanhexp, lisht ----------------------------------------------------------------------------
#: tanh(e^x) is exactly 1 (and sech²(e^x) exactly 0) in float64 once x > 4.
_TANHEXP_CLIP = 20.0


def _tanhexp_forward(x: T) -> T:
    y = x * torch.tanh(torch.exp(torch.clamp(x, max=_TANHEXP_CLIP)))
    return at_infinity(y, x, 0.0, INF)


def _tanhexp_derivative(x: T) -> T:
    # Beyond the clip sech²(eˣ) is exactly 0, so the clipped x gives the same product
    # without x·eˣ overflowing first (inf·0 = nan near the dtype's maximum).
    xc = torch.clamp(x, max=_TANHEXP_CLIP)
    e = torch.exp(xc)
    return torch.tanh(e) + _zero_at_infinity(x, xc * e * _sech2(e))


def _tanhexp_second_derivative(x: T) -> T:
    xc = torch.clamp(x, max=_TANHEXP_CLIP)  # as in the derivative
    e = torch.exp(xc)
    return _zero_at_infinity(x, e * _sech2(e) * (2 + xc - 2 * xc * e * torch.tanh(e)))


TANHEXP = ActivationSpec(
    name="tanhexp",
    family="self-gated",
    summary="TanhExp: x·tanh(eˣ), fast-converging for lightweight networks.",
    latex=r"f(x) = x \tanh(e^x)",
    forward=_tanhexp_forward,
    derivative=_tanhexp_derivative,
    second_derivative=_tanhexp_second_derivative,
    properties=Properties((-0.35328577784821127, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Liu & Di 2020, TanhExp: A Smooth Activation Function with High Convergence "
                "Speed for Lightweight Neural Networks (IET Computer Vision 2021; "
                "arXiv:2003.09855)",),
    aliases=("tanh_exp",),
    class_name="TanhExp",
)


def _lisht_derivative(x: T) -> T:
    return torch.tanh(x) + _zero_at_infinity(x, x * _sech2(x))


def _lisht_second_derivative(x: T) -> T:
    return _zero_at_infinity(x, 2 * _sech2(x) * (1 - x * torch.tanh(x)))


LISHT = ActivationSpec(
    name="lisht",
    family="self-gated",
    summary="LiSHT: the linearly scaled hyperbolic tangent x·tanh(x), non-negative and even.",
    latex=r"f(x) = x \tanh(x)",
    forward=lambda x: x * torch.tanh(x),
    derivative=_lisht_derivative,
    second_derivative=_lisht_second_derivative,
    properties=Properties((0.0, INF), (True, False), monotonic=False, smoothness=INF),
    references=("Roy et al. 2019, LiSHT: Non-Parametric Linearly Scaled Hyperbolic Tangent "
                "Activation Function for Neural Networks (arXiv:1901.05894)",),
    class_name="LiSHT",
)


# --- elish ---------------------------------------------------------------------------------
def _elish_forward(x: T) -> T:
    s = _sigmoid(x)
    negative = torch.expm1(torch.clamp(x, max=0)) * s
    return torch.where(x >= 0, x * s, negative)


def _elish_derivative(x: T) -> T:
    s, r = _sigmoid(x), _sigmoid(-x)
    xn = torch.clamp(x, max=0)
    positive = s + _zero_at_infinity(x, x * s * r)
    negative = torch.exp(xn) * s + torch.expm1(xn) * s * r
    return torch.where(x >= 0, positive, negative)


def _elish_second_derivative(x: T) -> T:
    s, r = _sigmoid(x), _sigmoid(-x)
    xn = torch.clamp(x, max=0)
    positive = _zero_at_infinity(x, s * r * (2 + x * (r - s)))
    e = torch.exp(xn)
    negative = e * s * (1 + 2 * r) + torch.expm1(xn) * s * r * (r - s)
    return torch.where(x >= 0, positive, negative)


ELISH = ActivationSpec(
    name="elish",
    family="self-gated",
    summary="ELiSH: SiLU for x ≥ 0, (eˣ − 1)·σ(x) below (an ELU-gated sigmoid).",
    latex=r"f(x) = \begin{cases} x\,\sigma(x) & x \ge 0 \\ (e^x - 1)\,\sigma(x) & x < 0 "
          r"\end{cases}",
    forward=_elish_forward,
    derivative=_elish_derivative,
    second_derivative=_elish_second_derivative,
    kinks=(0.0,),
    properties=Properties((2 * math.sqrt(2) - 3, INF), (True, False), monotonic=False,
                          smoothness=1, saturation="left"),
    references=("Basirat & Roth 2018, The Quest for the Golden Activation Function "
                "(arXiv:1808.00783)",),
    class_name="ELiSH",
    notes="f' is continuous at 0 (both pieces give 1/2) but f'' jumps from 1 to 1/2; the "
          "analytic f''(0) is the right-hand value. The minimum is 2√2 − 3 at "
          "x = ln(√2 − 1).",
)


# --- smish, logish ---------------------------------------------------------------------------
def _log1p_sigmoid_parts(x: T) -> tuple[T, T, T]:
    """L = ln(1 + σ(x)), L' = σσ'/(1+σ)... and L'' in terms of s = σ(x), r = σ(-x)."""
    s, r = _sigmoid(x), _sigmoid(-x)
    one_s = 1 + s
    L = torch.log1p(s)
    L1 = s * r / one_s
    L2 = s * r * (1 - 2 * s - s * s) / (one_s * one_s)
    return L, L1, L2


def _smish_forward(x: T) -> T:
    y = x * torch.tanh(torch.log1p(_sigmoid(x)))
    return at_infinity(y, x, 0.0, INF)


def _smish_derivative(x: T) -> T:
    L, L1, _ = _log1p_sigmoid_parts(x)
    return torch.tanh(L) + _zero_at_infinity(x, x * _sech2(L) * L1)


def _smish_second_derivative(x: T) -> T:
    L, L1, L2 = _log1p_sigmoid_parts(x)
    inner = 2 * L1 + _zero_at_infinity(x, x * (L2 - 2 * torch.tanh(L) * L1 * L1))
    return _sech2(L) * inner


SMISH = ActivationSpec(
    name="smish",
    family="self-gated",
    summary="Smish: x·tanh(ln(1 + σ(x))).",
    latex=r"f(x) = x \tanh\left(\ln(1 + \sigma(x))\right)",
    forward=_smish_forward,
    derivative=_smish_derivative,
    second_derivative=_smish_second_derivative,
    properties=Properties((-0.2499936636601295, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Wang, Ren & Wang 2022, Smish: A Novel Activation Function for Deep Learning "
                "Methods (Electronics 11(4), 540)",),
    class_name="Smish",
    notes="The paper's general form α·x·tanh(ln(1 + σ(βx))) is used with α = β = 1. For large "
          "x the slope tends to tanh(ln 2) = 0.6.",
)


def _logish_forward(x: T) -> T:
    y = x * torch.log1p(_sigmoid(x))
    return at_infinity(y, x, 0.0, INF)


def _logish_derivative(x: T) -> T:
    L, L1, _ = _log1p_sigmoid_parts(x)
    return L + _zero_at_infinity(x, x * L1)


def _logish_second_derivative(x: T) -> T:
    _, L1, L2 = _log1p_sigmoid_parts(x)
    return 2 * L1 + _zero_at_infinity(x, x * L2)


LOGISH = ActivationSpec(
    name="logish",
    family="self-gated",
    summary="Logish: x·ln(1 + σ(x)).",
    latex=r"f(x) = x \ln\left(1 + \sigma(x)\right)",
    forward=_logish_forward,
    derivative=_logish_derivative,
    second_derivative=_logish_second_derivative,
    properties=Properties((-0.25276881678944035, INF), (True, False), monotonic=False,
                          smoothness=INF, saturation="left"),
    references=("Zhu et al. 2021, Logish: A new nonlinear nonmonotonic activation function "
                "for convolutional neural network (Neurocomputing 458)",),
    class_name="Logish",
    notes="For large x the slope tends to ln 2.",
)


# --- dsilu -----------------------------------------------------------------------------------
def _dsilu_forward(x: T) -> T:
    s, r = _sigmoid(x), _sigmoid(-x)
    return s + _zero_at_infinity(x, x * s * r)


def _dsilu_derivative(x: T) -> T:
    s, r = _sigmoid(x), _sigmoid(-x)
    return _zero_at_infinity(x, s * r * (2 + x * (r - s)))


def _dsilu_second_derivative(x: T) -> T:
    s, r = _sigmoid(x), _sigmoid(-x)
    d = r - s
    return _zero_at_infinity(x, s * r * (d * (3 + x * d) - 2 * x * s * r))


DSILU = ActivationSpec(
    name="dsilu",
    family="self-gated",
    summary="dSiLU, the derivative of SiLU: σ(x)(1 + x(1 − σ(x))).",
    latex=r"f(x) = \sigma(x)\left(1 + x\,(1 - \sigma(x))\right)",
    forward=_dsilu_forward,
    derivative=_dsilu_derivative,
    second_derivative=_dsilu_second_derivative,
    properties=Properties((-0.09983932012886692, 1.0998393201288669), (True, True),
                          monotonic=False, smoothness=INF, saturation="both"),
    references=("Elfwing, Uchibe & Doya 2018, Sigmoid-weighted linear units for neural "
                "network function approximation in reinforcement learning (Neural Networks "
                "107)",),
    class_name="dSiLU",
    notes="f(x) + f(-x) = 1, so it is a sigmoid-like unit that overshoots to 1.0998 at "
          "x = 2.3994 and to -0.0998 at x = -2.3994.",
)


SPECS = (GELU, QUICK_GELU, SILU, MISH, HARD_SWISH, HARD_MISH, TANHEXP, LISHT, ELISH, SMISH,
         LOGISH, DSILU)
