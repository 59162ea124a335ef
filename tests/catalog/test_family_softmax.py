"""Softmax and its relatives: seed 004's worked example, PyTorch's implicit dimension,
Softmax2d's shapes, and sparsemax against an independent simplex projection."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import actlab
from actlab.catalog import registry
from actlab.errors import ShapeError
from actlab.kernels import apply_analytic, force_implementation

F64 = torch.float64


def test_seed_004_worked_example():
    """Keras's documentation: softmax([1,2,3,4,1,2,3]) and of the same values / 10."""
    x = torch.tensor([1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0])
    expected = [0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175]
    for spelling in ("softmax", "keras:softmax", "keras.activations.softmax", "jax.nn.softmax"):
        got = actlab.functional.call(spelling, x)
        assert [round(v, 3) for v in got.tolist()] == expected
    scaled = actlab.functional.softmax(x / 10)
    assert [round(v, 3) for v in scaled.tolist()] == [0.125, 0.138, 0.153, 0.169, 0.125,
                                                       0.138, 0.153]
    # ... and the seed's numpy line, to float32 precision.
    a = np.array([1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(got.numpy(), np.exp(a) / np.exp(a).sum(), rtol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "softmin", "log_softmax"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)])
def test_dim_none_is_pytorchs_implicit_choice(name, shape):
    x = torch.randn(shape, dtype=F64, generator=torch.Generator().manual_seed(len(shape)))
    torch_fn = getattr(F, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch_fn(x)
    for impl in ("analytic", "native", "reference"):
        with force_implementation(impl):
            got = actlab.get(name)(x)
        torch.testing.assert_close(got, expected, rtol=1e-13, atol=1e-15)


def test_dim_none_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        actlab.get("softmax")(torch.randn(2, 3, 4))


@pytest.mark.parametrize("name", ["softmax", "softmin", "log_softmax", "sparsemax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_lean_backward_by_finite_differences(name, dim):
    spec = registry().spec(name)
    bound = spec.bind({"dim": dim})
    x = torch.randn(3, 5, 2, dtype=F64, generator=torch.Generator().manual_seed(dim + 5))
    x = x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: apply_analytic(spec, t, bound), (x,))
    if name != "sparsemax":  # sparsemax's Jacobian is piecewise constant
        assert torch.autograd.gradgradcheck(lambda t: apply_analytic(spec, t, bound), (x,))


@pytest.mark.parametrize("name", ["softmax", "softmin", "log_softmax"])
def test_lean_backward_matches_pytorch(name):
    x = torch.randn(4, 7, dtype=F64, generator=torch.Generator().manual_seed(1)) * 5
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    w = torch.randn(4, 7, dtype=F64)
    (getattr(F, name)(x1, dim=-1) * w).sum().backward()
    with force_implementation("analytic"):
        (actlab.functional.call(name, x2, dim=-1) * w).sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad, rtol=1e-12, atol=1e-14)


def test_softmax_is_stable_for_huge_and_infinite_logits():
    x = torch.tensor([[1e4, 0.0, -1e4], [-float("inf"), 0.0, 0.0], [3e38, 3e38, -3e38]])
    with force_implementation("analytic"):
        y = actlab.functional.softmax(x, dim=-1)
        ly = actlab.functional.log_softmax(x, dim=-1)
    torch.testing.assert_close(y, F.softmax(x, dim=-1))
    torch.testing.assert_close(ly, F.log_softmax(x, dim=-1))


# --- softmax2d --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5)])
def test_softmax2d_normalises_channels(shape):
    x = torch.randn(shape, dtype=F64)
    expected = torch.nn.Softmax2d()(x)
    for impl in ("analytic", "native", "reference"):
        with force_implementation(impl):
            torch.testing.assert_close(actlab.get("softmax2d")(x), expected)


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (1, 2, 3, 4, 5)])
@pytest.mark.parametrize("impl", ["analytic", "native", "reference"])
def test_softmax2d_rejects_other_shapes_clearly(shape, impl):
    with force_implementation(impl), pytest.raises(ShapeError, match="3-D .* or 4-D"):
        actlab.get("softmax2d")(torch.randn(shape))


# --- sparsemax --------------------------------------------------------------------------------
def _project_onto_simplex(z: np.ndarray) -> np.ndarray:
    """argmin_p ||p − z||² over the simplex, by bisection on τ in Σ max(z − τ, 0) = 1."""
    lo, hi = z.min() - 1.0, z.max()
    for _ in range(200):
        tau = (lo + hi) / 2
        if np.maximum(z - tau, 0).sum() > 1:
            lo = tau
        else:
            hi = tau
    return np.maximum(z - (lo + hi) / 2, 0)


@pytest.mark.parametrize("seed", range(6))
def test_sparsemax_is_the_euclidean_projection_onto_the_simplex(seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(5, 9, dtype=F64, generator=gen) * (0.2 + seed)
    got = actlab.functional.sparsemax(x)
    for row, out in zip(x.numpy(), got.numpy(), strict=True):
        np.testing.assert_allclose(out, _project_onto_simplex(row), atol=1e-12)
    torch.testing.assert_close(got.sum(-1), torch.ones(5, dtype=F64))


def test_sparsemax_paper_properties():
    """Martins & Astudillo 2016: sparse outputs; shift-invariant; uniform for equal logits."""
    x = torch.tensor([[0.0, 0.5, 1.0], [2.0, 2.0, 2.0], [-1.0, 0.0, 1.0]], dtype=F64)
    y = actlab.functional.sparsemax(x)
    torch.testing.assert_close(y, torch.tensor([[0.0, 0.25, 0.75], [1 / 3, 1 / 3, 1 / 3],
                                                [0.0, 0.0, 1.0]], dtype=F64))
    torch.testing.assert_close(actlab.functional.sparsemax(x + 1e6), y, atol=1e-9, rtol=0)


def test_sparsemax_along_other_dims_and_with_minus_infinity():
    x = torch.randn(4, 6, 3, dtype=F64)
    for dim in (0, 1, 2, -2):
        expected = np.apply_along_axis(_project_onto_simplex, dim, x.numpy())
        np.testing.assert_allclose(actlab.functional.sparsemax(x, dim=dim).numpy(), expected,
                                   atol=1e-12)
    z = torch.tensor([[-float("inf"), 0.3, 0.1]], dtype=F64)
    torch.testing.assert_close(actlab.functional.sparsemax(z),
                               torch.tensor([[0.0, 0.6, 0.4]], dtype=F64))


def test_sparsemax_agrees_with_keras_where_keras_is_right():
    """Keras 3 (≤ 3.15) computes τ wrongly once two or more entries survive
    (keras-team/keras#23425); with a single survivor both agree."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    x = torch.tensor([[-1.0, 0.0, 1.0], [5.0, 0.1, -2.0], [0.0, 3.0, 1.5]])
    expected = torch.as_tensor(keras.ops.convert_to_numpy(keras.activations.sparsemax(x)))
    torch.testing.assert_close(actlab.functional.call("keras:sparsemax", x), expected)


def test_sparsemax_backward_saves_the_output_and_zeroes_off_support():
    spec = registry().spec("sparsemax")
    assert getattr(spec.vjp, "uses_output", False)
    x = torch.tensor([[0.0, 0.5, 1.0, -3.0]], dtype=F64, requires_grad=True)
    with force_implementation("analytic"):
        y = actlab.functional.sparsemax(x)
    g = torch.tensor([[1.0, 2.0, 4.0, 8.0]], dtype=F64)
    (grad,) = torch.autograd.grad(y, x, g)
    # Support {1, 2}: g − mean(g over the support) there, 0 elsewhere.
    torch.testing.assert_close(grad, torch.tensor([[0.0, -1.0, 1.0, 0.0]], dtype=F64))
