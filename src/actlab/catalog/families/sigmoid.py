"""Sigmoid-shaped (squashing) functions: logistic, tanh, their hard and algebraic cousins.

Derivatives at kinks follow PyTorch's autograd where PyTorch has the function
(hardsigmoid'(±3) = 0, hardtanh'(min_val) = hardtanh'(max_val) = 0); elsewhere they
follow the same rule (a clipped piece has derivative 0 at its ends) or say which one.
A flavor whose framework decides otherwise carries its own derivative (JAX's
hard_tanh'(±1) = 1, Keras 2's hard_sigmoid'(±2.5) = 0.2).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from actlab.catalog.primitives import at_infinity, heaviside, sech_squared, softplus
from actlab.catalog.spec import (
    INF,
    ActivationSpec,
    Param,
    Properties,
    flavor,
    round_to_float32,
)

T = torch.Tensor

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _zeros(x: T) -> T:
    return torch.zeros_like(x)


# --- sigmoid ---------------------------------------------------------------------------------
def _sigmoid_prime(x: T) -> T:
    # σ(x)σ(−x) rather than σ(1 − σ): keeps full relative precision for large x.
    return torch.sigmoid(x) * torch.sigmoid(-x)


def _sigmoid_second(x: T) -> T:
    return _sigmoid_prime(x) * (1 - 2 * torch.sigmoid(x))


SIGMOID = ActivationSpec(
    name="sigmoid",
    family="sigmoid",
    summary="The logistic sigmoid: squashes ℝ into (0, 1).",
    latex=r"f(x) = \sigma(x) = \frac{1}{1 + e^{-x}}",
    forward=lambda x: torch.sigmoid(x),
    derivative=_sigmoid_prime,
    second_derivative=_sigmoid_second,
    native=torch.sigmoid,
    properties=Properties((0.0, 1.0), monotonic=True, smoothness=INF, saturation="both"),
    references=("Rumelhart, Hinton & Williams 1986, Learning representations by "
                "back-propagating errors (Nature)",),
    aliases=("logistic", "expit"),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Sigmoid", "torch.nn.functional.sigmoid",
                        "torch.sigmoid"),
        "keras": flavor("keras", {}, "keras.activations.sigmoid", "keras.ops.sigmoid"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.sigmoid"),
        "tf": flavor("tf", {}, "tf.nn.sigmoid"),
        "jax": flavor("jax", {}, "jax.nn.sigmoid"),
    },
    class_name="Sigmoid",
)


# --- hard sigmoid ----------------------------------------------------------------------------
def _hard_sigmoid_ends(slope: float, offset: float) -> tuple[float, float]:
    """The ends x₀ = −b/a and x₀ + 1/a of the linear piece (−3 and 3 at the defaults)."""
    width = 1 / slope
    low = -offset * width
    return (low, low + width)


def _hard_sigmoid_forward(x: T, slope: float, offset: float) -> T:
    # clamp(x − x₀, 0, w)/w with w = 1/a: PyTorch's and JAX's relu6(x + 3)/6 at the
    # defaults, without the cancellation of a·x + b near the lower end.
    low, high = _hard_sigmoid_ends(slope, offset)
    width = high - low
    return torch.clamp(x - low, 0, width) / width


def backward_slope(slope: float, offset: float) -> float:
    """The slope PyTorch's hardsigmoid backward multiplies by: 1/6 as a float32 constant
    (1.0f / 6.0f), for float64 tensors too. Other slopes are not PyTorch's op: exact."""
    if slope == 1 / 6 and offset == 0.5:
        return round_to_float32(slope)
    return slope


def _hard_sigmoid_derivative(x: T, slope: float, offset: float) -> T:
    # PyTorch's convention: 0 at both ends of the linear piece (F.hardsigmoid'(±3) = 0).
    low, high = _hard_sigmoid_ends(slope, offset)
    return backward_slope(slope, offset) * heaviside((x > low) & (x < high), x)


def _keras2_hard_sigmoid_derivative(x: T, slope: float, offset: float) -> T:
    # Keras 2: clip_by_value(0.2·x + 0.5, 0, 1), whose gradient passes at both ends:
    # f'(±2.5) = 0.2. The line is computed in x's dtype, as TensorFlow does.
    line = x * slope + offset
    return slope * heaviside((line >= 0) & (line <= 1), x)


def _jax_hard_sigmoid_derivative(x: T, slope: float, offset: float) -> T:
    # JAX: relu6(x + 3)/6, with relu6' = 1 strictly inside (0, 6); x + 3 is rounded in x's
    # dtype (so f'(3 − ulp) = 0 in float32), and 1/6 is exact in float64.
    shifted = x + offset / slope
    return slope * heaviside((shifted > 0) & (shifted < 1 / slope), x)


HARD_SIGMOID = ActivationSpec(
    name="hard_sigmoid",
    family="sigmoid",
    summary="Piecewise-linear sigmoid: a clipped line (slope 1/6 in PyTorch and Keras 3, "
            "0.2 in Keras 2).",
    latex=r"f(x) = \min(\max(a x + b, 0), 1)\quad (a = \tfrac16,\ b = \tfrac12)",
    forward=_hard_sigmoid_forward,
    derivative=_hard_sigmoid_derivative,
    second_derivative=lambda x, slope, offset: _zeros(x),
    native=lambda x, slope, offset, inplace=False: F.hardsigmoid(x, inplace=inplace),
    native_when=lambda p: p["slope"] == 1 / 6 and p["offset"] == 0.5,
    native_inplace=True,
    params=(
        Param("slope", 1 / 6, "slope a of the linear piece", low=0.0, low_open=True),
        Param("offset", 0.5, "value b at x = 0"),
    ),
    kinks=_hard_sigmoid_ends,
    properties=Properties((0.0, 1.0), (True, True), monotonic=True, smoothness=0,
                          saturation="both"),
    references=("Courbariaux, Bengio & David 2015, BinaryConnect: Training Deep Neural "
                "Networks with binary weights during propagations (NeurIPS)",
                "Howard et al. 2019, Searching for MobileNetV3 (ICCV)"),
    aliases=("hardsigmoid",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Hardsigmoid", "torch.nn.functional.hardsigmoid"),
        "keras": flavor("keras", {}, "keras.activations.hard_sigmoid", "keras.ops.hard_sigmoid"),
        "keras2": flavor("keras2", {"slope": 0.2}, "tf.keras.activations.hard_sigmoid",
                         derivative=_keras2_hard_sigmoid_derivative,
                         note="Keras 2 computes clip(0.2·x + 0.5, 0, 1), which is 0 below "
                              "−2.5 and 1 above 2.5, with f'(±2.5) = 0.2"),
        "jax": flavor("jax", {}, "jax.nn.hard_sigmoid",
                      derivative=_jax_hard_sigmoid_derivative,
                      note="relu6(x + 3)/6: f'(±3) = 0, x + 3 rounded first, exact 1/6"),
    },
    class_name="Hardsigmoid",
    notes="PyTorch's backward (and so Keras 3's, on its torch backend) multiplies by "
          "float32(1/6) = 0.16666667163 even for float64 tensors; actlab's hard_sigmoid "
          "does too, jax:hard_sigmoid uses the exact 1/6. Keras 2 (keras.backend."
          "hard_sigmoid) multiplies by 0.2, adds 0.5 and clips to [0, 1]; TF's "
          "clip_by_value passes the gradient at the ends (±2.5).",
)


# --- log sigmoid -----------------------------------------------------------------------------
LOG_SIGMOID = ActivationSpec(
    name="log_sigmoid",
    family="sigmoid",
    summary="Logarithm of the logistic sigmoid: −softplus(−x).",
    latex=r"f(x) = \log \sigma(x) = -\log(1 + e^{-x})",
    forward=lambda x: -softplus(-x),
    derivative=lambda x: torch.sigmoid(-x),
    second_derivative=lambda x: -_sigmoid_prime(x),
    native=F.logsigmoid,
    properties=Properties((-INF, 0.0), monotonic=True, smoothness=INF, saturation="right"),
    aliases=("logsigmoid",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.LogSigmoid", "torch.nn.functional.logsigmoid"),
        "keras": flavor("keras", {}, "keras.activations.log_sigmoid", "keras.ops.log_sigmoid"),
        "jax": flavor("jax", {}, "jax.nn.log_sigmoid"),
    },
    class_name="LogSigmoid",
)


# --- tanh ------------------------------------------------------------------------------------
TANH = ActivationSpec(
    name="tanh",
    family="sigmoid",
    summary="The hyperbolic tangent: a zero-centred sigmoid onto (−1, 1).",
    latex=r"f(x) = \tanh x = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
    forward=lambda x: torch.tanh(x),
    derivative=sech_squared,
    second_derivative=lambda x: -2 * torch.tanh(x) * sech_squared(x),
    native=torch.tanh,
    properties=Properties((-1.0, 1.0), monotonic=True, smoothness=INF, zero_centred=True,
                          saturation="both"),
    references=("LeCun et al. 1998, Efficient BackProp (Neural Networks: Tricks of the "
                "Trade)",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Tanh", "torch.nn.functional.tanh", "torch.tanh"),
        "keras": flavor("keras", {}, "keras.activations.tanh", "keras.ops.tanh"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.tanh"),
        "tf": flavor("tf", {}, "tf.nn.tanh"),
        "jax": flavor("jax", {}, "jax.nn.tanh"),
    },
    class_name="Tanh",
)


# --- hardtanh --------------------------------------------------------------------------------
def _hardtanh_derivative(x: T, min_val: float, max_val: float) -> T:
    # PyTorch's convention: 0 at min_val and at max_val.
    return heaviside((x > min_val) & (x < max_val), x)


def _jax_hardtanh_derivative(x: T, min_val: float, max_val: float) -> T:
    # JAX: where(x > 1, 1, where(x < -1, -1, x)): the middle piece owns both ends.
    return heaviside((x >= min_val) & (x <= max_val), x)


HARDTANH = ActivationSpec(
    name="hardtanh",
    family="sigmoid",
    summary="Piecewise-linear tanh: the identity clipped to [min_val, max_val].",
    latex=r"f(x) = \min(\max(x, a), b)\quad (a = -1,\ b = 1)",
    forward=lambda x, min_val, max_val: torch.clamp(x, min_val, max_val),
    derivative=_hardtanh_derivative,
    second_derivative=lambda x, min_val, max_val: _zeros(x),
    native=lambda x, min_val, max_val, inplace=False: F.hardtanh(x, min_val, max_val,
                                                                inplace=inplace),
    native_inplace=True,
    params=(
        Param("min_val", -1.0, "lower end a of the linear region"),
        Param("max_val", 1.0, "upper end b of the linear region"),
    ),
    check=lambda p: (None if p["min_val"] < p["max_val"]
                     else "min_val must be smaller than max_val"),
    kinks=lambda min_val, max_val: (min_val, max_val),
    properties=Properties((-1.0, 1.0), (True, True), monotonic=True, smoothness=0,
                          zero_centred=True, saturation="both"),
    references=("Collobert 2004, Large Scale Machine Learning (PhD thesis, Université "
                "Paris VI)",),
    aliases=("hard_tanh",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Hardtanh", "torch.nn.functional.hardtanh"),
        "keras": flavor("keras", {}, "keras.activations.hard_tanh", "keras.ops.hard_tanh",
                        note="Keras's hard_tanh has no parameters: always [−1, 1]"),
        "jax": flavor("jax", {}, "jax.nn.hard_tanh", derivative=_jax_hardtanh_derivative,
                      note="jax.nn.hard_tanh's gradient is 1 at ±1 (PyTorch's is 0)"),
    },
    class_name="Hardtanh",
)


# --- softsign --------------------------------------------------------------------------------
def _softsign_forward(x: T) -> T:
    return at_infinity(x / (1 + x.abs()), x, -1.0, 1.0)


SOFTSIGN = ActivationSpec(
    name="softsign",
    family="sigmoid",
    summary="Softsign: an algebraic sigmoid onto (−1, 1) with polynomial tails.",
    latex=r"f(x) = \frac{x}{1 + |x|}",
    forward=_softsign_forward,
    derivative=lambda x: (1 + x.abs()) ** -2,
    # −2·sign(x)/(1+|x|)³; at 0 (where f'' jumps from 2 to −2) it is 0, as in autograd.
    second_derivative=lambda x: -2 * torch.sign(x) * (1 + x.abs()) ** -3,
    native=F.softsign,
    kinks=(0.0,),
    properties=Properties((-1.0, 1.0), monotonic=True, smoothness=1, zero_centred=True,
                          saturation="both"),
    references=("Bergstra et al. 2009, Quadratic polynomials learn better image features "
                "(Technical Report 1337, Université de Montréal)",
                "Glorot & Bengio 2010, Understanding the difficulty of training deep "
                "feedforward neural networks (AISTATS)"),
    aliases=("soft_sign",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Softsign", "torch.nn.functional.softsign"),
        "keras": flavor("keras", {}, "keras.activations.softsign", "keras.ops.softsign"),
        "keras2": flavor("keras2", {}, "tf.keras.activations.softsign"),
        "tf": flavor("tf", {}, "tf.nn.softsign"),
        "jax": flavor("jax", {}, "jax.nn.soft_sign"),
    },
    class_name="Softsign",
)


# --- isru --------------------------------------------------------------------------------------
def _isru_scale(x: T, alpha: float) -> T:
    # 1/sqrt(1 + αx²) as 1/hypot(1, √α·x): x² never overflows.
    return torch.hypot(torch.ones_like(x), math.sqrt(alpha) * x).reciprocal()


def _isru_forward(x: T, alpha: float) -> T:
    bound = 1 / math.sqrt(alpha)
    return at_infinity(x * _isru_scale(x, alpha), x, -bound, bound)


def _isru_second(x: T, alpha: float) -> T:
    # −3αx(1 + αx²)^(−5/2), written as −3α·f(x)·r⁴ so that it stays finite at ±inf.
    r = _isru_scale(x, alpha)
    return -3 * alpha * _isru_forward(x, alpha) * r ** 4


ISRU = ActivationSpec(
    name="isru",
    family="sigmoid",
    summary="Inverse square root unit: an algebraic sigmoid onto (−1/√α, 1/√α).",
    latex=r"f(x) = \frac{x}{\sqrt{1 + \alpha x^2}}",
    forward=_isru_forward,
    derivative=lambda x, alpha: _isru_scale(x, alpha) ** 3,
    second_derivative=_isru_second,
    params=(Param("alpha", 1.0, "α: the output lies in (−1/√α, 1/√α)", low=0.0,
                  low_open=True),),
    properties=Properties((-1.0, 1.0), monotonic=True, smoothness=INF, zero_centred=True,
                          saturation="both"),
    references=("Carlile et al. 2017, Improving Deep Learning by Inverse Square Root "
                "Linear Units (ISRLUs) (arXiv:1710.09967)",),
    aliases=("inverse_square_root_unit",),
    class_name="ISRU",
)


# --- sparse sigmoid --------------------------------------------------------------------------
def _jax_sparse_sigmoid_derivative(x: T) -> T:
    # JAX: 0.5·clip(x + 1, 0, 2), its clip being minimum(maximum(·, 0), 2), and JAX gives
    # each side of a tie half the gradient: 1/4 where x + 1 (rounded) is 0 or 2.
    shifted = x + 1
    inside = heaviside((shifted > 0) & (shifted < 2), x)
    tie = heaviside((shifted == 0) | (shifted == 2), x)
    return 0.5 * inside + 0.25 * tie


SPARSE_SIGMOID = ActivationSpec(
    name="sparse_sigmoid",
    family="sigmoid",
    summary="Sparse sigmoid: (x + 1)/2 clipped to [0, 1], exactly 0 or 1 outside [−1, 1].",
    latex=r"f(x) = \min(\max(\tfrac{x + 1}{2}, 0), 1)",
    forward=lambda x: 0.5 * torch.clamp(x + 1, 0, 2),
    # 0 at ±1, as Keras's torch backend gives (and as for hard_sigmoid); JAX's is 1/4.
    derivative=lambda x: 0.5 * heaviside((x > -1) & (x < 1), x),
    second_derivative=lambda x: _zeros(x),
    kinks=(-1.0, 1.0),
    properties=Properties((0.0, 1.0), (True, True), monotonic=True, smoothness=0,
                          saturation="both"),
    references=("Blondel, Martins & Niculae 2020, Learning with Fenchel-Young Losses "
                "(JMLR; arXiv:1901.02324)",),
    flavors={
        "keras": flavor("keras", {}, "keras.activations.sparse_sigmoid",
                        "keras.ops.sparse_sigmoid"),
        "jax": flavor("jax", {}, "jax.nn.sparse_sigmoid",
                      derivative=_jax_sparse_sigmoid_derivative,
                      note="0.5·jnp.clip(x + 1, 0, 2): jnp.clip's maximum and minimum share "
                           "the gradient at a tie, so f'(±1) = 0.25"),
    },
    class_name="SparseSigmoid",
)


# --- arctan ----------------------------------------------------------------------------------
def _arctan_second(x: T) -> T:
    r = 1 / (1 + x * x)
    return at_infinity(-2 * x * r * r, x, 0.0, 0.0)


ARCTAN = ActivationSpec(
    name="arctan",
    family="sigmoid",
    summary="The inverse tangent: a sigmoid onto (−π/2, π/2) with slowly decaying slope.",
    latex=r"f(x) = \arctan x",
    forward=lambda x: torch.atan(x),
    derivative=lambda x: 1 / (1 + x * x),
    second_derivative=_arctan_second,
    native=torch.atan,
    properties=Properties((-math.pi / 2, math.pi / 2), monotonic=True, smoothness=INF,
                          zero_centred=True, saturation="both"),
    aliases=("atan",),
    flavors={
        "torch": flavor("torch", {}, "torch.arctan", "torch.atan"),
        "keras": flavor("keras", {}, "keras.ops.arctan"),
        "jax": flavor("jax", {}, "jax.numpy.arctan"),
    },
    class_name="Arctan",
)


# --- erf -------------------------------------------------------------------------------------
def _erf_prime(x: T) -> T:
    return _TWO_OVER_SQRT_PI * torch.exp(-x * x)


ERF = ActivationSpec(
    name="erf",
    family="sigmoid",
    summary="The Gauss error function as an activation: a sigmoid onto (−1, 1).",
    latex=r"f(x) = \operatorname{erf} x = \frac{2}{\sqrt{\pi}} \int_0^x e^{-t^2}\,dt",
    forward=lambda x: torch.erf(x),
    derivative=_erf_prime,
    second_derivative=lambda x: at_infinity(-2 * x * _erf_prime(x), x, 0.0, 0.0),
    native=torch.erf,
    properties=Properties((-1.0, 1.0), monotonic=True, smoothness=INF, zero_centred=True,
                          saturation="both"),
    references=("Williams 1997, Computing with Infinite Networks (NeurIPS): the erf "
                "network whose kernel is known in closed form",),
    aliases=("error_function",),
    flavors={
        "torch": flavor("torch", {}, "torch.erf", "torch.special.erf"),
        "keras": flavor("keras", {}, "keras.ops.erf"),
        "jax": flavor("jax", {}, "jax.scipy.special.erf", "jax.lax.erf"),
    },
    class_name="Erf",
)


# --- penalized tanh --------------------------------------------------------------------------
def _penalized_tanh_derivative(x: T, a: float) -> T:
    # At 0 the slope is a (the x ≤ 0 piece), as leaky_relu'(0) = negative_slope in PyTorch.
    return torch.where(x > 0, sech_squared(x), a * sech_squared(x))


def _penalized_tanh_second(x: T, a: float) -> T:
    second = -2 * torch.tanh(x) * sech_squared(x)
    return torch.where(x > 0, second, a * second)


PENALIZED_TANH = ActivationSpec(
    name="penalized_tanh",
    family="sigmoid",
    summary="Penalized tanh: tanh for x > 0, a·tanh(x) otherwise (a = 0.25).",
    latex=r"f(x) = \begin{cases} \tanh x & x > 0 \\ a \tanh x & x \le 0 \end{cases}",
    forward=lambda x, a: torch.where(x > 0, torch.tanh(x), a * torch.tanh(x)),
    derivative=_penalized_tanh_derivative,
    second_derivative=_penalized_tanh_second,
    params=(Param("a", 0.25, "factor a of the negative part"),),
    kinks=(0.0,),
    properties=Properties((-0.25, 1.0), monotonic=True, smoothness=0, saturation="both"),
    references=("Xu, Huang & Li 2016, Revise Saturated Activation Functions (ICLR workshop; "
                "arXiv:1602.05980)",),
    aliases=("penalised_tanh",),
    class_name="PenalizedTanh",
)


# --- sqnl ------------------------------------------------------------------------------------
def _sqnl_forward(x: T) -> T:
    # On [−2, 2]: x − x|x|/4; clamping first gives the constant ±1 outside.
    c = torch.clamp(x, -2, 2)
    return c - c * c.abs() / 4


def _sqnl_second(x: T) -> T:
    # −sign(x)/2 strictly inside (−2, 2); 0 at 0 (where it jumps from 1/2 to −1/2) and outside.
    inside = heaviside(x.abs() < 2, x)
    return -0.5 * torch.sign(x) * inside


SQNL = ActivationSpec(
    name="sqnl",
    family="sigmoid",
    summary="Square non-linearity: a quadratic sigmoid onto [−1, 1], constant beyond |x| = 2.",
    latex=r"f(x) = \begin{cases} 1 & x > 2 \\ x - \frac{x^2}{4} & 0 \le x \le 2 \\ "
          r"x + \frac{x^2}{4} & -2 \le x < 0 \\ -1 & x < -2 \end{cases}",
    forward=_sqnl_forward,
    derivative=lambda x: torch.clamp(1 - x.abs() / 2, min=0),
    second_derivative=_sqnl_second,
    kinks=(-2.0, 0.0, 2.0),
    properties=Properties((-1.0, 1.0), (True, True), monotonic=True, smoothness=1,
                          zero_centred=True, saturation="both"),
    references=("Wuraola & Patel 2018, SQNL: A New Computationally Efficient Activation "
                "Function (IJCNN)",),
    aliases=("square_nonlinearity",),
    class_name="SQNL",
)


SPECS = (SIGMOID, HARD_SIGMOID, LOG_SIGMOID, TANH, HARDTANH, SOFTSIGN, ISRU, SPARSE_SIGMOID,
         ARCTAN, ERF, PENALIZED_TANH, SQNL)
