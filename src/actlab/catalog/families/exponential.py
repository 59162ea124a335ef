"""Exponential-type units: ELU and its scaled, continuous and parametric variants, exp,
and the smooth (or algebraic) rectifiers softplus, squareplus, sparse_plus and NLReLU.

Derivatives at kinks follow PyTorch's autograd: elu'(0) = α, selu'(0) = λα, celu'(0) = 1
(the x ≤ 0 piece), and their second derivatives are 0 at 0, as PyTorch's double backward
gives; flavors whose framework differs carry their own (TensorFlow's selu'(0) = λ).
Exponentials are evaluated on min(x, 0) so that no branch overflows.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from actlab.catalog.primitives import SELU_ALPHA, SELU_SCALE, at_infinity, heaviside, softplus
from actlab.catalog.spec import (
    INF,
    ActivationSpec,
    Param,
    Properties,
    Spelling,
    flavor,
    round_to_float32,
)

T = torch.Tensor


def _zeros(x: T) -> T:
    return torch.zeros_like(x)


def _negative(x: T) -> T:
    return torch.clamp(x, max=0)


# --- elu -------------------------------------------------------------------------------------
def _elu_forward(x: T, alpha: float) -> T:
    return torch.where(x > 0, x, alpha * torch.expm1(_negative(x)))


def _elu_derivative(x: T, alpha: float) -> T:
    # x ≤ 0 takes the exponential piece: elu'(0) = α, as PyTorch's elu_backward.
    return torch.where(x > 0, torch.ones_like(x), alpha * torch.exp(_negative(x)))


def _elu_second(x: T, alpha: float) -> T:
    # 0 at x = 0 itself, as PyTorch's double backward of elu.
    return torch.where(x < 0, alpha * torch.exp(_negative(x)), _zeros(x))


ELU = ActivationSpec(
    name="elu",
    family="exponential",
    summary="Exponential linear unit: x for x > 0, α(eˣ − 1) below, saturating at −α.",
    latex=r"f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
    forward=_elu_forward,
    derivative=_elu_derivative,
    second_derivative=_elu_second,
    native=lambda x, alpha, inplace=False: F.elu(x, alpha, inplace=inplace),
    native_inplace=True,
    params=(Param("alpha", 1.0, "α: the value −α is the limit at −∞"),),
    kinks=(0.0,),
    properties=Properties((-1.0, INF), monotonic=True, smoothness=1, saturation="left"),
    references=("Clevert, Unterthiner & Hochreiter 2016, Fast and Accurate Deep Network "
                "Learning by Exponential Linear Units (ELUs) (ICLR)",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.ELU", "torch.nn.functional.elu"),
        "keras": flavor("keras", {}, "keras.activations.elu", "keras.ops.elu",
                        "keras.layers.ELU"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.elu",
                         Spelling("tf.keras.layers.ELU", float32=("alpha",)),
                         Spelling("keras2.layers.ELU", float32=("alpha",)),
                         note="the ELU layer keeps α as a float32 (backend.cast_to_floatx)"),
        "tf": flavor("tf", {}, "tf.nn.elu", note="tf.nn.elu has no α: always 1"),
        "jax": flavor("jax", {}, "jax.nn.elu"),
    },
    class_name="ELU",
    notes="C¹ only for α = 1 (the canonical default); for other α the slope jumps at 0. "
          "Keras 2's elu computes the same formula (nn.elu, then α·elu where x ≤ 0).",
)


# --- selu ------------------------------------------------------------------------------------
def _selu_forward(x: T, alpha: float, scale: float) -> T:
    return scale * _elu_forward(x, alpha)


def _tensorflow_selu_derivative(x: T, alpha: float, scale: float) -> T:
    # TensorFlow's SeluGrad reads the output λα(eˣ − 1), with eˣ − 1 computed as such (not
    # expm1): λα·eˣ where it is negative, else λ, at 0 and where eˣ rounds to 1 too.
    e = torch.exp(_negative(x))
    return torch.where(e - 1 < 0, (scale * alpha) * e, torch.full_like(x, scale))


SELU = ActivationSpec(
    name="selu",
    family="exponential",
    summary="Scaled ELU: λ·elu(x, α) with the constants that make networks self-normalising.",
    latex=r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 "
          r"\end{cases}\quad (\alpha \approx 1.6733,\ \lambda \approx 1.0507)",
    forward=_selu_forward,
    derivative=lambda x, alpha, scale: scale * _elu_derivative(x, alpha),
    second_derivative=lambda x, alpha, scale: scale * _elu_second(x, alpha),
    native=lambda x, alpha, scale, inplace=False: F.selu(x, inplace=inplace),
    native_when=lambda p: p["alpha"] == SELU_ALPHA and p["scale"] == SELU_SCALE,
    native_inplace=True,
    params=(
        Param("alpha", SELU_ALPHA, "α (Klambauer et al.'s fixed-point constant)"),
        Param("scale", SELU_SCALE, "λ (Klambauer et al.'s fixed-point constant)"),
    ),
    kinks=(0.0,),
    properties=Properties((-SELU_ALPHA * SELU_SCALE, INF), monotonic=True, smoothness=0,
                          zero_centred=True, saturation="left", self_normalising=True),
    references=("Klambauer, Unterthiner, Mayr & Hochreiter 2017, Self-Normalizing Neural "
                "Networks (NeurIPS)",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.SELU", "torch.nn.functional.selu"),
        "keras": flavor("keras", {}, "keras.activations.selu", "keras.ops.selu"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.selu",
                         derivative=_tensorflow_selu_derivative,
                         note="TensorFlow's selu'(0) = λ (PyTorch's is λα)"),
        "tf": flavor("tf", {}, "tf.nn.selu", derivative=_tensorflow_selu_derivative,
                     note="TensorFlow's selu'(0) = λ (PyTorch's is λα)"),
        "jax": flavor("jax", {}, "jax.nn.selu"),
    },
    class_name="SELU",
    notes="Self-normalising with lecun_normal weights and standardised inputs; use "
          "AlphaDropout rather than dropout. Other α, λ give a scaled ELU that is not.",
)


# --- celu ------------------------------------------------------------------------------------
def _celu_forward(x: T, alpha: float) -> T:
    return torch.where(x > 0, x, alpha * torch.expm1(_negative(x) / alpha))


def _celu_derivative(x: T, alpha: float) -> T:
    # PyTorch's backward: α·r·exp(x·r) for x ≤ 0 with r = 1/float32(α)
    # (derivatives.yaml: 1.0/alpha.toFloat()), in float64 too.
    r = 1 / round_to_float32(alpha)
    return torch.where(x > 0, torch.ones_like(x), (alpha * r) * torch.exp(_negative(x) * r))


def _exact_celu_derivative(x: T, alpha: float) -> T:
    # exp(x/α) below 0 and 1 at 0 (JAX: maximum and minimum share the tie, ½ + ½·e⁰).
    return torch.where(x > 0, torch.ones_like(x), torch.exp(_negative(x) / alpha))


def _celu_second(x: T, alpha: float) -> T:
    # 0 at x = 0 itself, as PyTorch's double backward of celu.
    return torch.where(x < 0, torch.exp(_negative(x) / alpha) / alpha, _zeros(x))


CELU = ActivationSpec(
    name="celu",
    family="exponential",
    summary="Continuously differentiable ELU: α(exp(x/α) − 1) below 0, slope 1 at 0 for any α.",
    latex=r"f(x) = \max(0, x) + \min\!\big(0, \alpha (e^{x/\alpha} - 1)\big)",
    forward=_celu_forward,
    derivative=_celu_derivative,
    second_derivative=_celu_second,
    native=lambda x, alpha, inplace=False: F.celu(x, alpha, inplace=inplace),
    native_inplace=True,
    params=(Param("alpha", 1.0, "α: the limit at −∞ is −α", nonzero=True),),
    kinks=(0.0,),
    properties=Properties((-1.0, INF), monotonic=True, smoothness=1, saturation="left"),
    references=("Barron 2017, Continuously Differentiable Exponential Linear Units "
                "(arXiv:1704.07483)",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.CELU", "torch.nn.functional.celu"),
        "keras": flavor("keras", {}, "keras.activations.celu", "keras.ops.celu"),
        "jax": flavor("jax", {}, "jax.nn.celu", derivative=_exact_celu_derivative,
                      native=False, note="exact float64 gradients (PyTorch's are not)"),
    },
    class_name="CELU",
    notes="PyTorch's celu backward uses 1/α rounded to float32 (derivatives.yaml: "
          "1.0/alpha.toFloat()), so its float64 gradients are off by up to ~1e-7 "
          "relative when 1/α is not exact in float32; actlab's celu (PyTorch's, and Keras "
          "3's on its torch backend) reproduces that, jax:celu is exact.",
)


# --- pelu ------------------------------------------------------------------------------------
def _pelu_forward(x: T, a, b) -> T:
    return torch.where(x >= 0, (a / b) * x, a * torch.expm1(_negative(x) / b))


def _pelu_derivative(x: T, a, b) -> T:
    # Both pieces have slope a/b at 0: PELU is C¹ for every a, b > 0.
    return torch.where(x >= 0, (a / b) * torch.ones_like(x), (a / b) * torch.exp(_negative(x) / b))


def _pelu_second(x: T, a, b) -> T:
    return torch.where(x < 0, (a / b ** 2) * torch.exp(_negative(x) / b), _zeros(x))


def _pelu_grad_a(x: T, a, b) -> T:
    return torch.where(x >= 0, x / b, torch.expm1(_negative(x) / b))


def _pelu_grad_b(x: T, a, b) -> T:
    n = _negative(x)
    # −a·x·e^{x/b}/b² for x < 0; x·e^{x/b} → 0 as x → −∞ (inf·0 otherwise).
    decay = torch.where(n == -INF, _zeros(x), n * torch.exp(n / b))
    return torch.where(x >= 0, -a * x / b ** 2, -a * decay / b ** 2)


PELU = ActivationSpec(
    name="pelu",
    family="exponential",
    summary="Parametric ELU: learned a, b > 0 set the slope a/b and the saturation −a.",
    latex=r"f(x) = \begin{cases} \frac{a}{b} x & x \ge 0 \\ a (e^{x/b} - 1) & x < 0 "
          r"\end{cases}\quad (a, b > 0 \text{ learned})",
    forward=_pelu_forward,
    derivative=_pelu_derivative,
    second_derivative=_pelu_second,
    param_gradients={"a": _pelu_grad_a, "b": _pelu_grad_b},
    params=(
        Param("a", 1.0, "a > 0: the limit at −∞ is −a (its initial value in a module)",
              low=0.0, low_open=True, learnable=True, trainable=True),
        Param("b", 1.0, "b > 0: the slope for x ≥ 0 is a/b (its initial value in a module)",
              low=0.0, low_open=True, learnable=True, trainable=True),
        Param("num_parameters", 1, "number of (a, b) pairs: 1 or the number of channels "
              "(dim 1)", kind="int", low=1, role="layout"),
    ),
    kinks=(0.0,),
    properties=Properties((-1.0, INF), monotonic=True, smoothness=1, saturation="left"),
    references=("Trottier, Giguère & Chaib-draa 2017, Parametric Exponential Linear Unit "
                "for Deep Convolutional Neural Networks (ICMLA; arXiv:1605.09332)",),
    aliases=("parametric_elu",),
    class_name="PELU",
    notes="The paper keeps a and b positive during training by clipping them after each "
          "update; actlab checks positivity of the initial values only.",
)


# --- exponential -----------------------------------------------------------------------------
EXPONENTIAL = ActivationSpec(
    name="exponential",
    family="exponential",
    summary="The exponential function eˣ as an activation (Keras's 'exponential').",
    latex=r"f(x) = e^{x}",
    forward=lambda x: torch.exp(x),
    derivative=lambda x: torch.exp(x),
    second_derivative=lambda x: torch.exp(x),
    native=torch.exp,
    properties=Properties((0.0, INF), monotonic=True, smoothness=INF, saturation="left"),
    aliases=("exp",),
    flavors={
        "torch": flavor("torch", {}, "torch.exp"),
        "keras": flavor("keras", {}, "keras.activations.exponential", "keras.ops.exp"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.exponential"),
        "jax": flavor("jax", {}, "jax.numpy.exp"),
    },
    class_name="Exponential",
)


# --- softplus --------------------------------------------------------------------------------
def _softplus_forward(x: T, beta: float, threshold: float | None) -> T:
    z = x * beta
    y = softplus(z) / beta
    if threshold is None:
        return y
    # PyTorch's rule: the identity once β·x exceeds the threshold.
    return torch.where(z > threshold, x, y)


def _softplus_derivative(x: T, beta: float, threshold: float | None) -> T:
    z = x * beta
    s = torch.sigmoid(z)
    if threshold is None:
        return s
    return torch.where(z > threshold, torch.ones_like(x), s)


def _softplus_second(x: T, beta: float, threshold: float | None) -> T:
    z = x * beta
    y = beta * torch.sigmoid(z) * torch.sigmoid(-z)
    if threshold is None:
        return y
    # PyTorch's double backward: zero from β·x = threshold on (strict < below).
    return torch.where(z < threshold, y, _zeros(x))


SOFTPLUS = ActivationSpec(
    name="softplus",
    family="exponential",
    summary="Softplus: a smooth ReLU, log(1 + e^{βx})/β (linear above PyTorch's threshold).",
    latex=r"f(x) = \frac{1}{\beta} \log\!\left(1 + e^{\beta x}\right)\quad "
          r"(x \text{ itself where } \beta x > \text{threshold})",
    forward=_softplus_forward,
    derivative=_softplus_derivative,
    second_derivative=_softplus_second,
    native=lambda x, beta, threshold: F.softplus(x, beta, threshold),
    native_when=lambda p: p["threshold"] is not None,
    params=(
        Param("beta", 1.0, "β: sharpness (β → ∞ gives ReLU)", low=0.0, low_open=True),
        Param("threshold", None, "above β·x = threshold return x (PyTorch: 20); None for the "
              "exact function", kind="optional_float"),
    ),
    kinks=lambda beta, threshold: () if threshold is None else (threshold / beta,),
    properties=Properties((0.0, INF), monotonic=True, smoothness=INF, saturation="left"),
    references=("Dugas et al. 2001, Incorporating Second-Order Functional Knowledge for "
                "Better Option Pricing (NeurIPS)",
                "Glorot, Bordes & Bengio 2011, Deep Sparse Rectifier Neural Networks "
                "(AISTATS)"),
    flavors={
        "torch": flavor("torch", {"threshold": 20.0}, "torch.nn.Softplus",
                        "torch.nn.functional.softplus",
                        note="PyTorch returns x itself (gradient 1) where β·x > threshold"),
        "keras": flavor("keras", {"threshold": 20.0}, "keras.activations.softplus",
                        "keras.ops.softplus",
                        note="Keras 3 documents log(exp(x) + 1); its torch backend calls "
                             "F.softplus, whose threshold (20) it therefore has"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.softplus",
                         note="tf.math.softplus switches to x or eˣ at a dtype-dependent "
                              "cut-off, equal to the exact value to rounding"),
        "tf": flavor("tf", {}, "tf.nn.softplus"),
        "jax": flavor("jax", {}, "jax.nn.softplus", note="jax.nn.softplus is logaddexp(x, 0)"),
    },
    class_name="Softplus",
    notes="The canonical definition is the exact function (threshold=None); the torch "
          "flavor adds PyTorch's threshold of 20, where its value jumps by "
          "log1p(e^-20) ≈ 2.1e-9.",
)


# --- squareplus ------------------------------------------------------------------------------
def _squareplus_root(x: T, b: float) -> T:
    # sqrt(x² + b) as hypot(x, √b): x² never overflows.
    return torch.hypot(x, torch.full_like(x, math.sqrt(b)))


def _squareplus_forward(x: T, b: float) -> T:
    h = _squareplus_root(x, b)
    # For x < 0, (x + h)/2 cancels; b/(2(h − x)) is the same number, computed stably.
    below = b / (2 * torch.where(x < 0, h - x, torch.ones_like(x)))
    # x/2 + h/2, not (x + h)/2: the sum overflows near the dtype's maximum.
    return torch.where(x >= 0, x / 2 + h / 2, below)


def _squareplus_derivative(x: T, b: float) -> T:
    h = _squareplus_root(x, b)
    ratio = torch.where(h > 0, x / torch.where(h > 0, h, torch.ones_like(h)), _zeros(x))
    above = at_infinity((1 + ratio) / 2, x, 0.0, 1.0)
    # (1 + x/h)/2 = b/(2h(h − x)) for x < 0, without cancellation.
    below = b / (2 * h * torch.where(x < 0, h - x, torch.ones_like(x)))
    return torch.where(x >= 0, above, below)


def _squareplus_second(x: T, b: float) -> T:
    h = _squareplus_root(x, b)
    safe = torch.where(h > 0, h, torch.ones_like(h))
    return torch.where(h > 0, b / (2 * safe ** 3), _zeros(x))


SQUAREPLUS = ActivationSpec(
    name="squareplus",
    family="exponential",
    summary="Squareplus: an algebraic softplus, (x + √(x² + b))/2.",
    latex=r"f(x) = \frac{x + \sqrt{x^2 + b}}{2}",
    forward=_squareplus_forward,
    derivative=_squareplus_derivative,
    second_derivative=_squareplus_second,
    params=(Param("b", 4.0, "b ≥ 0: curvature near 0 (b = 0 gives ReLU)", low=0.0),),
    kinks=lambda b: (0.0,) if b == 0 else (),
    properties=Properties((0.0, INF), monotonic=True, smoothness=INF, saturation="left"),
    references=("Barron 2021, Squareplus: A Softplus-Like Algebraic Rectifier "
                "(arXiv:2112.11687)",),
    flavors={
        "keras": flavor("keras", {}, "keras.activations.squareplus", "keras.ops.squareplus",
                        float32=("b",),
                        note="Keras converts b to a float32 tensor, also for float64 inputs"),
        "jax": flavor("jax", {}, "jax.nn.squareplus"),
    },
    class_name="Squareplus",
    notes="With b = 0 it is ReLU; actlab then takes f'(0) = 1/2, the value f'(0) has for "
          "every b > 0.",
)


# --- sparse plus -----------------------------------------------------------------------------
def _sparse_plus_forward(x: T) -> T:
    c = torch.clamp(x, -1, 1)
    return torch.where(x >= 1, x, (c + 1) ** 2 / 4)


SPARSE_PLUS = ActivationSpec(
    name="sparse_plus",
    family="exponential",
    summary="Sparse plus: 0 below −1, (x + 1)²/4 on [−1, 1], x above: a C¹ softplus.",
    latex=r"f(x) = \begin{cases} 0 & x \le -1 \\ \frac14 (x + 1)^2 & -1 < x < 1 \\ "
          r"x & x \ge 1 \end{cases}",
    forward=_sparse_plus_forward,
    derivative=lambda x: (torch.clamp(x, -1, 1) + 1) / 2,
    # 1/2 strictly inside (−1, 1), 0 at ±1, as autograd of Keras's torch backend gives.
    second_derivative=lambda x: 0.5 * heaviside(x.abs() < 1, x),
    kinks=(-1.0, 1.0),
    properties=Properties((0.0, INF), (True, False), monotonic=True, smoothness=1,
                          saturation="left"),
    references=("Blondel, Martins & Niculae 2020, Learning with Fenchel-Young Losses "
                "(JMLR; arXiv:1901.02324)",),
    aliases=("sparseplus",),
    flavors={
        "keras": flavor("keras", {}, "keras.activations.sparse_plus", "keras.ops.sparse_plus"),
        "jax": flavor("jax", {}, "jax.nn.sparse_plus"),
    },
    class_name="SparsePlus",
)


# --- nlrelu ----------------------------------------------------------------------------------
def _nlrelu_forward(x: T, beta: float) -> T:
    r = torch.clamp(x, min=0)
    scaled = beta * r
    # log(1 + βr) = log β + log r where βr alone would overflow.
    big = torch.isinf(scaled) & torch.isfinite(r)
    safe = torch.where(big, r, torch.ones_like(r))  # keeps log's gradient finite elsewhere
    return torch.where(big, math.log(beta) + torch.log(safe), torch.log1p(scaled))


def _nlrelu_derivative(x: T, beta: float) -> T:
    # β/(1 + βx) = 1/(1/β + x) for x > 0; 0 at 0, as relu'(0) in PyTorch.
    return heaviside(x > 0, x) / (1 / beta + torch.clamp(x, min=0))


def _nlrelu_second(x: T, beta: float) -> T:
    return -heaviside(x > 0, x) / (1 / beta + torch.clamp(x, min=0)) ** 2


NLRELU = ActivationSpec(
    name="nlrelu",
    family="exponential",
    summary="Natural-logarithm ReLU: log(1 + β·max(0, x)), a ReLU with logarithmic growth.",
    latex=r"f(x) = \ln\!\big(1 + \beta \max(0, x)\big)",
    forward=_nlrelu_forward,
    derivative=_nlrelu_derivative,
    second_derivative=_nlrelu_second,
    params=(Param("beta", 1.0, "β > 0: slope at 0⁺", low=0.0, low_open=True),),
    kinks=(0.0,),
    properties=Properties((0.0, INF), (True, False), monotonic=True, smoothness=0,
                          saturation="both"),
    references=("Liu et al. 2019, Natural-Logarithm-Rectified Activation Function in "
                "Convolutional Neural Networks (arXiv:1908.03682)",),
    aliases=("natural_log_relu",),
    class_name="NLReLU",
)


SPECS = (ELU, SELU, CELU, PELU, EXPONENTIAL, SOFTPLUS, SQUAREPLUS, SPARSE_PLUS, NLRELU)
