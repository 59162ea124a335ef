"""Other shapes: polynomial, Gaussian and periodic units (x², e^{-x²}, sin, snake, bent identity).

All are smooth, so no derivative needs a convention. Where an exponentially small
factor meets a polynomial one (x·e^{-x²}), x is clipped at a point beyond which the
exponential is exactly 0 in float64, which keeps x² finite without changing a value.
"""

from __future__ import annotations

import torch

from actlab.catalog.primitives import at_infinity
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties, flavor

T = torch.Tensor


# --- square (seed 001's custom activation) ----------------------------------------------------
SQUARE = ActivationSpec(
    name="square",
    family="other",
    summary="The square x², seed 001's custom activation (sq_activation).",
    latex=r"f(x) = x^2",
    forward=lambda x: x * x,
    derivative=lambda x: 2 * x,
    second_derivative=lambda x: torch.full_like(x, 2.0),
    native=lambda x: torch.square(x),
    properties=Properties((0.0, INF), (True, False), monotonic=False, smoothness=INF),
    aliases=("sq_activation", "squared"),
    flavors={
        "torch": flavor("torch", {}, "torch.square"),
        "keras": flavor("keras", {}, "keras.ops.square"),
        "jax": flavor("jax", {}, "jax.numpy.square"),
    },
    class_name="Square",
    notes="Not an activation any framework lists; the flavors name each framework's "
          "elementwise square.",
)


# --- gaussian ---------------------------------------------------------------------------------
#: e^{-x²} is exactly 0 in float64 for |x| > 27.3.
_GAUSS_TAIL = 40.0


def _gaussian_derivative(x: T) -> T:
    x = torch.clamp(x, -_GAUSS_TAIL, _GAUSS_TAIL)
    return -2 * x * torch.exp(-x * x)


def _gaussian_second_derivative(x: T) -> T:
    x = torch.clamp(x, -_GAUSS_TAIL, _GAUSS_TAIL)
    return (4 * x * x - 2) * torch.exp(-x * x)


GAUSSIAN = ActivationSpec(
    name="gaussian",
    family="other",
    summary="The Gaussian bump e^{-x²}: 1 at 0, vanishing on both sides.",
    latex=r"f(x) = e^{-x^2}",
    forward=lambda x: torch.exp(-x * x),
    derivative=_gaussian_derivative,
    second_derivative=_gaussian_second_derivative,
    properties=Properties((0.0, 1.0), (False, True), monotonic=False, smoothness=INF,
                          saturation="both"),
    references=("Broomhead & Lowe 1988, Multivariable Functional Interpolation and Adaptive "
                "Networks (Complex Systems 2), radial basis function networks",),
    class_name="Gaussian",
)


# --- sine (SIREN) -----------------------------------------------------------------------------
SINE = ActivationSpec(
    name="sine",
    family="other",
    summary="The periodic sin(ω₀x) of SIREN networks (ω₀ = 30 on their first layer).",
    latex=r"f(x) = \sin(\omega_0 x)",
    forward=lambda x, w0: torch.sin(w0 * x),
    derivative=lambda x, w0: w0 * torch.cos(w0 * x),
    second_derivative=lambda x, w0: -(w0 * w0) * torch.sin(w0 * x),
    params=(Param("w0", 1.0, "ω₀, the frequency", nonzero=True),),
    properties=Properties((-1.0, 1.0), (True, True), monotonic=False, smoothness=INF,
                          zero_centred=True),
    references=("Sitzmann et al. 2020, Implicit Neural Representations with Periodic "
                "Activation Functions (NeurIPS)",),
    aliases=("sin", "siren"),
    class_name="Sine",
    notes="sin has no limit at ±∞, so f(±inf) is nan. SIREN also needs its own weight "
          "initialisation (uniform in ±√(6/n)/ω₀) to train well.",
)


# --- snake -----------------------------------------------------------------------------------
def _snake_forward(x: T, alpha) -> T:
    y = x + torch.sin(alpha * x) ** 2 / alpha
    return at_infinity(y, x, -INF, INF)


def _snake_alpha_gradient(x: T, alpha) -> T:
    # ∂/∂α [sin²(αx)/α] = x·sin(2αx)/α − sin²(αx)/α².
    s = torch.sin(alpha * x)
    return x * _sin_2ax(x, alpha) / alpha - s * s / (alpha * alpha)


def _sin_2ax(x: T, alpha) -> T:
    # sin(2αx) as 2·sin(αx)·cos(αx): 2αx overflows (sin(inf) = nan) near the dtype's max.
    return 2 * torch.sin(alpha * x) * torch.cos(alpha * x)


SNAKE = ActivationSpec(
    name="snake",
    family="other",
    summary="Snake: x + sin²(αx)/α, monotonic with a periodic ripple (α learned).",
    latex=r"f(x) = x + \frac{\sin^2(\alpha x)}{\alpha}",
    forward=_snake_forward,
    derivative=lambda x, alpha: 1 + _sin_2ax(x, alpha),
    second_derivative=lambda x, alpha: 2 * alpha * (1 - 2 * torch.sin(alpha * x) ** 2),
    param_gradients={"alpha": _snake_alpha_gradient},
    params=(
        Param("alpha", 1.0, "α, the frequency (learned; its initial value in a module)",
              nonzero=True, learnable=True, trainable=True),
        Param("num_parameters", 1, "number of learned α: 1 or the number of channels "
              "(dim 1)", kind="int", low=1, role="layout"),
    ),
    properties=Properties((-INF, INF), monotonic=True, smoothness=INF),
    references=("Ziyin, Hartwig & Ueda 2020, Neural Networks Fail to Learn Periodic "
                "Functions and How to Fix It (NeurIPS)",),
    class_name="Snake",
    notes="f' = 1 + sin(2αx) ≥ 0, so f is non-decreasing for every α. A module learns "
          "α by default (trainable=False keeps it fixed).",
)


# --- bent identity -----------------------------------------------------------------------------
def _bent_identity_forward(x: T) -> T:
    # (√(x²+1) − 1)/2 = x²/(2(√(x²+1) + 1)), written without cancellation or overflow.
    h = torch.hypot(x, torch.ones_like(x))
    y = x + 0.5 * x * (x / (h + 1))
    return at_infinity(y, x, -INF, INF)


def _bent_identity_derivative(x: T) -> T:
    h = torch.hypot(x, torch.ones_like(x))
    return at_infinity(1 + x / (2 * h), x, 0.5, 1.5)


BENT_IDENTITY = ActivationSpec(
    name="bent_identity",
    family="other",
    summary="Bent identity: x + (√(x² + 1) − 1)/2, slopes 1/2 on the left and 3/2 on the "
            "right.",
    latex=r"f(x) = \frac{\sqrt{x^2 + 1} - 1}{2} + x",
    forward=_bent_identity_forward,
    derivative=_bent_identity_derivative,
    second_derivative=lambda x: 0.5 / torch.hypot(x, torch.ones_like(x)) ** 3,
    properties=Properties((-INF, INF), monotonic=True, smoothness=INF),
    class_name="BentIdentity",
    notes="A folklore activation without a primary paper (it appears in the usual tables of "
          "activation functions).",
)


SPECS = (SQUARE, GAUSSIAN, SINE, SNAKE, BENT_IDENTITY)
