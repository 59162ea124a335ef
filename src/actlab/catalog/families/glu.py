"""Gated linear units: split x in two halves a, b along `dim`; f(x) = a ⊗ gate(b).

GLU gates with the sigmoid (Dauphin et al. 2017); ReGLU, GEGLU and SwiGLU with ReLU, GELU
and SiLU (Shazeer 2020). The output has half the input's size along `dim`. Backward
saves only the input: ∂/∂a = g·gate(b) and ∂/∂b = g·a·gate'(b), from the gate's analytic
derivative (relu'(0) = 0, as in PyTorch).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from actlab.catalog.primitives import heaviside, normal_cdf, normal_pdf, sigmoid_prime
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties, flavor
from actlab.errors import ShapeError

T = torch.Tensor


def halves(x: T, dim: int, name: str = "glu") -> tuple[T, T]:
    """The two halves (a, b) of x along dim; an odd size is a ShapeError."""
    if x.dim() == 0:
        raise ShapeError(f"{name}: cannot split a 0-dimensional input in two halves")
    if not -x.dim() <= dim < x.dim():
        raise ShapeError(f"{name}: dim {dim} is out of range for an input of shape "
                         f"{tuple(x.shape)}")
    size = x.shape[dim]
    if size % 2:
        raise ShapeError(f"{name}: the size of dim {dim} must be even to split it in two "
                         f"halves, got {size} (input shape {tuple(x.shape)})")
    a, b = torch.split(x, size // 2, dim=dim)
    return a, b


# --- gates: value and derivative ------------------------------------------------------------
def _sigmoid_gate(b: T) -> T:
    return torch.sigmoid(b)


def _sigmoid_gate_derivative(b: T) -> T:
    return sigmoid_prime(torch.sigmoid(b))


def _relu_gate(b: T) -> T:
    return torch.clamp(b, min=0)


def _relu_gate_derivative(b: T) -> T:
    return heaviside(b > 0, b)


def _gelu_gate(b: T) -> T:
    y = b * normal_cdf(b)
    # b·Φ(b) -> 0 as b -> -inf (inf·0 there otherwise).
    return torch.where(b == -INF, torch.zeros_like(y), y)


def _gelu_gate_derivative(b: T) -> T:
    b = torch.clamp(b, -1000.0, 1000.0)  # φ and Φ's tail are exactly 0 beyond, in float64
    return normal_cdf(b) + b * normal_pdf(b)


def _silu_gate(b: T) -> T:
    s = torch.sigmoid(b)
    return torch.where(s == 0, torch.zeros_like(s), b * s)


def _silu_gate_derivative(b: T) -> T:
    s, r = torch.sigmoid(b), torch.sigmoid(-b)
    term = b * s * r
    return s + torch.where(torch.isinf(b), torch.zeros_like(term), term)


def _gated(gate: Callable[[T], T], name: str) -> Callable[..., T]:
    def forward(x: T, dim: int) -> T:
        a, b = halves(x, dim, name)
        return a * gate(b)

    forward.__name__ = f"_{name}_forward"
    return forward


def _gated_vjp(gate: Callable[[T], T], derivative: Callable[[T], T],
               name: str) -> Callable[..., T]:
    def vjp(x: T, grad: T, dim: int) -> T:
        a, b = halves(x, dim, name)
        return torch.cat([grad * gate(b), grad * a * derivative(b)], dim=dim)

    vjp.__name__ = f"_{name}_vjp"
    return vjp


def _glu_native(x: T, dim: int) -> T:
    halves(x, dim, "glu")  # a clear ShapeError instead of PyTorch's RuntimeError
    return F.glu(x, dim=dim)


_DIM = Param("dim", -1, "the dimension split into the halves a (first) and b (second)",
             kind="int")
_SHAZEER = ("Shazeer 2020, GLU Variants Improve Transformer (arXiv:2002.05202)",)
_UNBOUNDED = Properties((-INF, INF), monotonic=None, smoothness=INF, zero_centred=True)

GLU = ActivationSpec(
    name="glu",
    family="glu",
    kind="gated",
    summary="Gated linear unit: the first half times the sigmoid of the second.",
    latex=r"f(a, b) = a \otimes \sigma(b)",
    forward=_gated(_sigmoid_gate, "glu"),
    vjp=_gated_vjp(_sigmoid_gate, _sigmoid_gate_derivative, "glu"),
    native=_glu_native,
    params=(_DIM,),
    properties=_UNBOUNDED,
    references=("Dauphin et al. 2017, Language Modeling with Gated Convolutional Networks "
                "(ICML)",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.GLU", "torch.nn.functional.glu"),
        "keras": flavor("keras", {}, "keras.activations.glu", "keras.ops.glu",
                        renames={"axis": "dim"}),
        "jax": flavor("jax", {}, "jax.nn.glu", renames={"axis": "dim"}),
    },
    class_name="GLU",
    notes="zero_centred refers to independent N(0, 1) halves: E[a·σ(b)] = E[a]·E[σ(b)] = 0.",
)

REGLU = ActivationSpec(
    name="reglu",
    family="glu",
    kind="gated",
    summary="ReGLU: the first half times the ReLU of the second.",
    latex=r"f(a, b) = a \otimes \max(0, b)",
    forward=_gated(_relu_gate, "reglu"),
    vjp=_gated_vjp(_relu_gate, _relu_gate_derivative, "reglu"),
    params=(_DIM,),
    kinks=(0.0,),
    properties=Properties((-INF, INF), monotonic=None, smoothness=0, zero_centred=True),
    references=_SHAZEER,
    class_name="ReGLU",
    notes="Not differentiable where b = 0; there ∂/∂b = 0 (relu'(0) = 0, as in PyTorch).",
)

GEGLU = ActivationSpec(
    name="geglu",
    family="glu",
    kind="gated",
    summary="GEGLU: the first half times the (exact) GELU of the second.",
    latex=r"f(a, b) = a \otimes b\,\Phi(b)",
    forward=_gated(_gelu_gate, "geglu"),
    vjp=_gated_vjp(_gelu_gate, _gelu_gate_derivative, "geglu"),
    params=(_DIM,),
    properties=_UNBOUNDED,
    references=_SHAZEER,
    class_name="GEGLU",
)

SWIGLU = ActivationSpec(
    name="swiglu",
    family="glu",
    kind="gated",
    summary="SwiGLU: the first half times the SiLU (Swish) of the second.",
    latex=r"f(a, b) = a \otimes b\,\sigma(b)",
    forward=_gated(_silu_gate, "swiglu"),
    vjp=_gated_vjp(_silu_gate, _silu_gate_derivative, "swiglu"),
    params=(_DIM,),
    properties=_UNBOUNDED,
    references=_SHAZEER,
    class_name="SwiGLU",
)


SPECS = (GLU, REGLU, GEGLU, SWIGLU)
