"""Bilinear and GTU against their definitions written with PyTorch ops, autograd for the
gradients, and the shape errors of the GLU family."""

from __future__ import annotations

import pytest
import torch

import actlab
from actlab.errors import ShapeError
from actlab.kernels import force_implementation

F64 = torch.float64

DEFINITIONS = {
    "bilinear": lambda a, b: a * b,
    "gtu": lambda a, b: torch.tanh(a) * torch.sigmoid(b),
}


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_values_and_gradients_match_the_definition(name, dim):
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(6, 8, 4, generator=gen, dtype=F64) * 3
    ref_x = x.clone().requires_grad_(True)
    a, b = torch.chunk(ref_x, 2, dim=dim)
    ref = DEFINITIONS[name](a, b)
    w = torch.randn(ref.shape, generator=gen, dtype=F64)
    (ref_grad,) = torch.autograd.grad(ref, ref_x, w)
    for impl in ("analytic", "reference"):
        xi = x.clone().requires_grad_(True)
        with force_implementation(impl):
            y = actlab.get(name, dim=dim)(xi)
        (g,) = torch.autograd.grad(y, xi, w)
        torch.testing.assert_close(y, ref.detach(), rtol=1e-14, atol=1e-15)
        torch.testing.assert_close(g, ref_grad, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_an_odd_size_is_a_clear_shape_error(name):
    with pytest.raises(ShapeError, match="must be even"):
        actlab.get(name)(torch.randn(3, 5))


def test_gtu_stays_inside_minus_one_one_and_its_gradient_finite_for_huge_inputs():
    x = torch.tensor([[-1e30, 1e30, 1e30, -1e30], [5.0, -5.0, 1e4, -1e4]],
                     dtype=torch.float32, requires_grad=True)
    y = actlab.get("gtu")(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert bool((y.abs() <= 1).all()) and bool(torch.isfinite(g).all())
