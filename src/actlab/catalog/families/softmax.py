"""Functions along one dimension: softmax, softmin, log-softmax, Softmax2d and sparsemax.

Each backward saves only the output y: for softmax the vector-Jacobian product is
y ⊙ (g − ⟨g, y⟩), for log-softmax g − e^y·Σg, and for sparsemax g minus its mean over
the support, zero elsewhere.

`dim=None` reproduces PyTorch's implicit (deprecated) choice for `nn.Softmax()`:
dim 0 for 0-, 1- and 3-dimensional inputs, dim 1 otherwise, without the warning.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from actlab.catalog.spec import INF, ActivationSpec, Param, Properties, flavor
from actlab.errors import ShapeError

T = torch.Tensor


def legacy_dim(ndim: int) -> int:
    """PyTorch's implicit softmax dimension (torch.nn.functional._get_softmax_dim)."""
    return 0 if ndim in (0, 1, 3) else 1


def _dim(x: T, dim: int | None) -> int:
    return legacy_dim(x.dim()) if dim is None else dim


_DIM = Param("dim", None, "the dimension to normalise; None: PyTorch's implicit choice "
             "(0 for 0-, 1- and 3-D inputs, else 1)", kind="int")
_AXIS_LAST = {"dim": -1}
_AXIS = {"axis": "dim"}


# --- softmax, softmin -------------------------------------------------------------------------
def _softmax(x: T, dim: int) -> T:
    # Reductions over a strided dimension sum in another order; a contiguous input gives
    # the same bits whatever the layout.
    x = x.contiguous()
    shifted = x - torch.amax(x, dim=dim, keepdim=True)
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_forward(x: T, dim: int | None) -> T:
    return _softmax(x, _dim(x, dim))


def _softmax_vjp(y: T, grad: T, dim: int | None) -> T:
    d = _dim(y, dim)
    return y * (grad - (grad * y).sum(dim=d, keepdim=True))


_softmax_vjp.uses_output = True  # type: ignore[attr-defined]

_VECTOR_UNIT = Properties((0.0, 1.0), (False, False), monotonic=None, smoothness=INF,
                          saturation="both")

SOFTMAX = ActivationSpec(
    name="softmax",
    family="softmax",
    kind="vector",
    summary="Softmax: exponentials normalised to a probability vector along one dimension.",
    latex=r"f(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
    forward=_softmax_forward,
    vjp=_softmax_vjp,
    native=lambda x, dim: F.softmax(x, dim=_dim(x, dim)),
    params=(_DIM,),
    properties=_VECTOR_UNIT,
    references=("Bridle 1990, Probabilistic Interpretation of Feedforward Classification "
                "Network Outputs, with Relationships to Statistical Pattern Recognition "
                "(Neurocomputing, NATO ASI Series)",),
    aliases=("softargmax",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.Softmax", "torch.nn.functional.softmax"),
        "keras": flavor("keras", _AXIS_LAST, "keras.activations.softmax",
                        "keras.layers.Softmax", "keras.ops.softmax", renames=_AXIS),
        "keras2": flavor("keras2", _AXIS_LAST, "tf.keras.activations.softmax",
                         "tf.keras.layers.Softmax", "keras2.layers.Softmax", renames=_AXIS),
        "tf": flavor("tf", _AXIS_LAST, "tf.nn.softmax", renames=_AXIS),
        "jax": flavor("jax", _AXIS_LAST, "jax.nn.softmax", renames=_AXIS),
    },
    class_name="Softmax",
    notes="Each component lies in (0, 1) and the components sum to 1. Keras and JAX also "
          "accept axis=None or a tuple of axes (all of them together); actlab takes one "
          "dimension.",
)


def _softmin_forward(x: T, dim: int | None) -> T:
    return _softmax(-x, _dim(x, dim))


def _softmin_vjp(y: T, grad: T, dim: int | None) -> T:
    return -_softmax_vjp(y, grad, dim)


_softmin_vjp.uses_output = True  # type: ignore[attr-defined]

SOFTMIN = ActivationSpec(
    name="softmin",
    family="softmax",
    kind="vector",
    summary="Softmin: the softmax of −x, weighting the smallest entries most.",
    latex=r"f(x)_i = \frac{e^{-x_i}}{\sum_j e^{-x_j}}",
    forward=_softmin_forward,
    vjp=_softmin_vjp,
    native=lambda x, dim: F.softmin(x, dim=_dim(x, dim)),
    params=(_DIM,),
    properties=_VECTOR_UNIT,
    flavors={"torch": flavor("torch", {}, "torch.nn.Softmin", "torch.nn.functional.softmin")},
    class_name="Softmin",
)


# --- log softmax -----------------------------------------------------------------------------
def _log_softmax_forward(x: T, dim: int | None) -> T:
    d = _dim(x, dim)
    x = x.contiguous()
    shifted = x - torch.amax(x, dim=d, keepdim=True)
    return shifted - torch.log(torch.exp(shifted).sum(dim=d, keepdim=True))


def _log_softmax_vjp(y: T, grad: T, dim: int | None) -> T:
    d = _dim(y, dim)
    return grad - torch.exp(y) * grad.sum(dim=d, keepdim=True)


_log_softmax_vjp.uses_output = True  # type: ignore[attr-defined]

LOG_SOFTMAX = ActivationSpec(
    name="log_softmax",
    family="softmax",
    kind="vector",
    summary="Log-softmax: x minus its log-sum-exp, the log-probabilities of a softmax.",
    latex=r"f(x)_i = x_i - \ln \sum_j e^{x_j}",
    forward=_log_softmax_forward,
    vjp=_log_softmax_vjp,
    native=lambda x, dim: F.log_softmax(x, dim=_dim(x, dim)),
    params=(_DIM,),
    properties=Properties((-INF, 0.0), (False, False), monotonic=None, smoothness=INF,
                          saturation="right"),
    aliases=("logsoftmax",),
    flavors={
        "torch": flavor("torch", {}, "torch.nn.LogSoftmax", "torch.nn.functional.log_softmax"),
        "keras": flavor("keras", _AXIS_LAST, "keras.activations.log_softmax",
                        "keras.ops.log_softmax", renames=_AXIS),
        "tf": flavor("tf", _AXIS_LAST, "tf.nn.log_softmax", renames=_AXIS),
        "jax": flavor("jax", _AXIS_LAST, "jax.nn.log_softmax", renames=_AXIS),
    },
    class_name="LogSoftmax",
)


# --- softmax2d -------------------------------------------------------------------------------
def _check_image(x: T) -> T:
    if x.dim() not in (3, 4):
        raise ShapeError(f"softmax2d: expects a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                         f"got shape {tuple(x.shape)}")
    return x


def _softmax2d_vjp(y: T, grad: T) -> T:
    return _softmax_vjp(y, grad, -3)


_softmax2d_vjp.uses_output = True  # type: ignore[attr-defined]

SOFTMAX2D = ActivationSpec(
    name="softmax2d",
    family="softmax",
    kind="vector",
    summary="Softmax over the channels of every pixel of an image batch (dim −3).",
    latex=r"f(x)_{c,h,w} = \frac{e^{x_{c,h,w}}}{\sum_{c'} e^{x_{c',h,w}}}",
    forward=lambda x: _softmax(_check_image(x), -3),
    vjp=_softmax2d_vjp,
    native=lambda x: F.softmax(_check_image(x), dim=-3),
    properties=_VECTOR_UNIT,
    flavors={"torch": flavor("torch", {}, "torch.nn.Softmax2d")},
    class_name="Softmax2d",
    notes="Inputs must be (C, H, W) or (N, C, H, W), as for torch.nn.Softmax2d.",
)


# --- sparsemax -------------------------------------------------------------------------------
def _sparsemax(x: T, dim: int) -> T:
    if x.dim() == 0:
        return _sparsemax(x.unsqueeze(0), 0).squeeze(0)
    # Sparsemax is shift-invariant: subtracting the max keeps the cumulative sums small.
    z = x - torch.amax(x, dim=dim, keepdim=True)
    ordered = torch.sort(z, dim=dim, descending=True).values
    cumulative = torch.cumsum(ordered, dim=dim)
    shape = [1] * z.dim()
    shape[dim] = z.shape[dim]
    rank = torch.arange(1, z.shape[dim] + 1, dtype=z.dtype, device=z.device).reshape(shape)
    support = 1 + rank * ordered > cumulative
    k = support.sum(dim=dim, keepdim=True)
    # τ = (Σ_{j ≤ k} z_(j) − 1)/k, from the k-th cumulative sum (Martins & Astudillo, Alg. 1).
    tau = (torch.gather(cumulative, dim, (k - 1).clamp(min=0)) - 1) / k.to(z.dtype)
    return torch.clamp(z - tau, min=0)


def _sparsemax_vjp(y: T, grad: T, dim: int) -> T:
    if y.dim() == 0:
        return torch.zeros_like(grad)
    on = (y > 0).to(grad.dtype)
    mean = (grad * on).sum(dim=dim, keepdim=True) / on.sum(dim=dim, keepdim=True)
    return on * (grad - mean)


_sparsemax_vjp.uses_output = True  # type: ignore[attr-defined]

KERAS_SPARSEMAX_BUG = (
    "Keras 3.15's sparsemax takes its threshold from the sum of all cumulative sums in the "
    "support, not the k-th one (keras-team/keras#23425, fixed by keras-team/keras#23469): "
    "this spelling reproduces Keras's wrong numbers; 'sparsemax' is the correct function")


def _keras_sparsemax(x: T, dim: int) -> T:
    """Keras 3.15's sparsemax on its torch backend, step for step (and so, differentiated by
    autograd, its gradients): the sorted inputs' cumulative sums c_j, the support
    z_(j) − (c_j − 1)/j > 0 of size k, then τ = (Σ_{j in support} c_j − 1)/k."""
    if x.dim() == 0:
        return _keras_sparsemax(x.unsqueeze(0), 0).squeeze(0)
    ordered = torch.sort(x, dim=dim, descending=True).values
    cumulative = torch.cumsum(ordered, dim=dim)
    shape = [1] * x.dim()
    shape[dim] = -1
    rank = torch.arange(1, x.shape[dim] + 1, dtype=x.dtype, device=x.device).view(shape)
    support = ordered - (cumulative - 1) / rank > 0
    k = torch.sum(support, dim=dim, keepdim=True)
    kept = torch.where(support, cumulative, torch.zeros((), dtype=x.dtype, device=x.device))
    tau = (torch.sum(kept, dim=dim, keepdim=True) - 1) / k
    return torch.clamp(x - tau, min=0.0)

SPARSEMAX = ActivationSpec(
    name="sparsemax",
    family="softmax",
    kind="vector",
    summary="Sparsemax: the Euclidean projection onto the probability simplex (sparse "
            "softmax).",
    latex=r"f(x) = \operatorname*{argmin}_{p \in \Delta} \lVert p - x \rVert^2,\ "
          r"f(x)_i = \max(x_i - \tau(x), 0)",
    forward=_sparsemax,
    vjp=_sparsemax_vjp,
    params=(Param("dim", -1, "the dimension to normalise", kind="int"),),
    properties=Properties((0.0, 1.0), (True, True), monotonic=None, smoothness=0,
                          saturation="both"),
    references=("Martins & Astudillo 2016, From Softmax to Sparsemax: A Sparse Model of "
                "Attention and Multi-Label Classification (ICML)",),
    flavors={
        "keras": flavor("keras", {}, "keras.activations.sparsemax", "keras.ops.sparsemax",
                        renames=_AXIS, forward=_keras_sparsemax, warning=KERAS_SPARSEMAX_BUG,
                        note="Keras 3 up to at least 3.15 computes τ from the sum of all "
                             "cumulative sums in the support (keras-team/keras#23425, fixed "
                             "by #23469): its outputs are wrong whenever the support has "
                             "more than one element. keras:sparsemax reproduces them (with a "
                             "warning); sparsemax follows the paper."),
    },
    class_name="Sparsemax",
    notes="Piecewise linear and continuous: entries below the threshold τ are exactly 0. "
          "Keras 3.15's implementation is wrong whenever two or more entries are non-zero "
          "(keras-team/keras#23425): the name sparsemax computes the paper's projection, "
          "the Keras spellings reproduce Keras's numbers and warn.",
)


SPECS = (SOFTMAX, SOFTMIN, LOG_SOFTMAX, SOFTMAX2D, SPARSEMAX)
