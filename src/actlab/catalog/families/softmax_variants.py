"""Two more normalisations along one dimension: the Taylor softmax (a second-order
polynomial instead of exp) and 1.5-entmax (between softmax and sparsemax, sparse).

The Taylor softmax's backward needs the input; 1.5-entmax's only its output, as
sparsemax's does.
"""

from __future__ import annotations

import torch

from actlab.catalog.spec import ActivationSpec, Param, Properties

T = torch.Tensor

_DIM = Param("dim", -1, "the dimension to normalise", kind="int")


def _as_vector(x: T) -> tuple[T, bool]:
    """A 0-d input as a one-element vector (its normalisation is 1)."""
    return (x.unsqueeze(0), True) if x.dim() == 0 else (x, False)


# --- Taylor softmax --------------------------------------------------------------------------
def _taylor_parts(x: T, dim: int) -> tuple[T, T, T]:
    """g/m² (g = 1 + x + x²/2), g'/m and S/m² with m = max(1, max |x|): nothing overflows."""
    x = x.contiguous()
    m = torch.clamp(torch.amax(x.abs(), dim=dim, keepdim=True), min=1.0)
    t = x / m
    inv = 1 / m
    g = inv * inv + t * inv + t * t / 2
    return g, inv + t, g.sum(dim=dim, keepdim=True)


def _taylor_softmax(x: T, dim: int) -> T:
    x, scalar = _as_vector(x)
    g, _, s = _taylor_parts(x, 0 if scalar else dim)
    y = g / s
    return y.squeeze(0) if scalar else y


def _taylor_softmax_vjp(x: T, grad: T, dim: int) -> T:
    # ∂y_i/∂x_j = g'_j (δ_ij − y_i)/S, so the product with grad is g'_j (grad_j − ⟨grad, y⟩)/S.
    if x.dim() == 0:
        return torch.zeros_like(grad)
    g, g1, s = _taylor_parts(x, dim)
    m = torch.clamp(torch.amax(x.abs(), dim=dim, keepdim=True), min=1.0)
    y = g / s
    return g1 / (m * s) * (grad - (grad * y).sum(dim=dim, keepdim=True))


TAYLOR_SOFTMAX = ActivationSpec(
    name="taylor_softmax",
    family="softmax",
    kind="vector",
    summary="Taylor softmax: 1 + x + x²/2, the exponential's second-order Taylor polynomial, "
            "normalised.",
    latex=r"f(x)_i = \frac{1 + x_i + x_i^2/2}{\sum_j \left(1 + x_j + x_j^2/2\right)}",
    forward=_taylor_softmax,
    vjp=_taylor_softmax_vjp,
    params=(_DIM,),
    properties=Properties((0.0, 1.0), (False, False), monotonic=None, smoothness=float("inf"),
                          saturation="both"),
    references=("de Brébisson & Vincent 2016, An Exploration of Softmax Alternatives "
                "Belonging to the Spherical Loss Family (ICLR)",),
    class_name="TaylorSoftmax",
    notes="1 + x + x²/2 ≥ 1/2 for every x, so every entry is positive; unlike softmax it is "
          "not shift-invariant and large negative entries get large weights too.",
)


# --- 1.5-entmax ------------------------------------------------------------------------------
def _entmax15(x: T, dim: int) -> T:
    x, scalar = _as_vector(x)
    d = 0 if scalar else dim
    # Peters, Niculae & Martins 2019, exact sort-based algorithm: y = [x/2 − τ]₊² with τ
    # such that Σ y = 1. Shift-invariant, so the max is subtracted first.
    z = x.contiguous() / 2
    z = z - torch.amax(z, dim=d, keepdim=True)
    ordered = torch.sort(z, dim=d, descending=True).values
    shape = [1] * z.dim()
    shape[d] = z.shape[d]
    rank = torch.arange(1, z.shape[d] + 1, dtype=z.dtype, device=z.device).reshape(shape)
    mean = torch.cumsum(ordered, dim=d) / rank
    mean_sq = torch.cumsum(ordered * ordered, dim=d) / rank
    delta = (1 - rank * (mean_sq - mean * mean)) / rank
    tau = mean - torch.sqrt(torch.clamp(delta, min=0))
    k = (tau <= ordered).sum(dim=d, keepdim=True)
    tau_star = torch.gather(tau, d, (k - 1).clamp(min=0))
    y = torch.clamp(z - tau_star, min=0) ** 2
    return y.squeeze(0) if scalar else y


def _entmax15_vjp(y: T, grad: T, dim: int) -> T:
    # On the support, ∂y/∂x = diag(√y) − √y √yᵀ/Σ√y (times 1 from the ½ inside).
    if y.dim() == 0:
        return torch.zeros_like(grad)
    root = torch.sqrt(y)
    g = grad * root
    return g - root * g.sum(dim=dim, keepdim=True) / root.sum(dim=dim, keepdim=True)


_entmax15_vjp.uses_output = True  # type: ignore[attr-defined]

ENTMAX15 = ActivationSpec(
    name="entmax15",
    family="softmax",
    kind="vector",
    summary="1.5-entmax: a sparse softmax, [x/2 − τ]₊², between softmax and sparsemax.",
    latex=r"f(x)_i = \left[\tfrac{x_i}{2} - \tau(x)\right]_+^2,\quad \sum_i f(x)_i = 1",
    forward=_entmax15,
    vjp=_entmax15_vjp,
    params=(_DIM,),
    properties=Properties((0.0, 1.0), (True, True), monotonic=None, smoothness=1,
                          saturation="both"),
    references=("Peters, Niculae & Martins 2019, Sparse Sequence-to-Sequence Models (ACL), "
                "α-entmax with α = 1.5 and its exact sort-based algorithm",),
    aliases=("entmax_15", "entmax_1_5"),
    class_name="Entmax15",
    notes="The maximiser of ⟨p, x⟩ plus the Tsallis entropy with α = 1.5 over the "
          "probability simplex. Entries below the threshold are exactly 0, like sparsemax, "
          "but the map is continuously differentiable.",
)


SPECS = (TAYLOR_SOFTMAX, ENTMAX15)
