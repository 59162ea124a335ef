"""The Taylor softmax and 1.5-entmax against their definitions: the polynomial written
out, and entmax's threshold found independently by bisection on Σ [x/2 − τ]₊² = 1."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import optimize

import actlab
from actlab.kernels import force_implementation

F64 = torch.float64


def _entmax15_by_bisection(x: np.ndarray) -> np.ndarray:
    """Solve Σ max(x/2 − τ, 0)² = 1 for τ with Brent's method (the sum falls as τ grows)."""
    z = x / 2
    tau = optimize.brentq(lambda t: np.sum(np.maximum(z - t, 0) ** 2) - 1, z.max() - 1,
                          z.max(), xtol=1e-15, rtol=1e-15)
    return np.maximum(z - tau, 0) ** 2


def test_entmax15_matches_the_threshold_found_by_bisection():
    gen = np.random.default_rng(0)
    for scale in (0.1, 1.0, 3.0, 30.0):
        x = gen.standard_normal((20, 9)) * scale
        got = actlab.functional.entmax15(torch.from_numpy(x)).numpy()
        want = np.stack([_entmax15_by_bisection(row) for row in x])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=0, atol=1e-13)


def test_entmax15_is_sparse_and_between_softmax_and_sparsemax():
    x = torch.tensor([1.0, 0.6, 0.2, -2.0], dtype=F64)
    y = actlab.functional.entmax15(x)
    assert y[-1] == 0 and bool((y[:3] > 0).all())
    # Its support is never smaller than sparsemax's (α = 1.5 lies between 1 and 2).
    sparse = actlab.functional.sparsemax(x)
    assert int((y > 0).sum()) >= int((sparse > 0).sum())


def test_taylor_softmax_is_the_normalised_second_order_polynomial():
    x = torch.randn(7, 5, generator=torch.Generator().manual_seed(1), dtype=F64) * 4
    g = 1 + x + x * x / 2
    torch.testing.assert_close(actlab.functional.taylor_softmax(x), g / g.sum(-1, keepdim=True),
                               rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", ["taylor_softmax", "entmax15"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_the_lean_backward_equals_autograd_of_the_formula(name, dim):
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(5, 6, 3, generator=gen, dtype=F64) * 2
    ref_x = x.clone().requires_grad_(True)
    with force_implementation("reference"):
        ref = actlab.get(name, dim=dim)(ref_x)
    w = torch.randn(ref.shape, generator=gen, dtype=F64)
    (ref_grad,) = torch.autograd.grad(ref, ref_x, w)
    xi = x.clone().requires_grad_(True)
    with force_implementation("analytic"):
        y = actlab.get(name, dim=dim)(xi)
    (g,) = torch.autograd.grad(y, xi, w)
    torch.testing.assert_close(y, ref.detach(), rtol=1e-14, atol=1e-15)
    torch.testing.assert_close(g, ref_grad, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", ["taylor_softmax", "entmax15"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_huge_inputs_give_a_probability_vector(name, dtype):
    x = torch.tensor([[-1e30, 1e30, 3.0, 0.0], [1e20, 1e20, -1e20, 1.0]], dtype=dtype,
                     requires_grad=True)
    y = actlab.get(name)(x)
    (g,) = torch.autograd.grad((y * torch.arange(4, dtype=dtype)).sum(), x)
    assert bool(torch.isfinite(y).all()) and bool(torch.isfinite(g).all())
    torch.testing.assert_close(y.float().sum(-1), torch.ones(2), rtol=0, atol=2e-2)
