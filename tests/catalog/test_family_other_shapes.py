"""The cube and SQ-RBF against their papers' piecewise formulas in exact arithmetic."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch

import actlab
from actlab.catalog import registry

F64 = torch.float64


def _sqrbf(x: Fraction) -> Fraction:
    """Wuraola & Patel's definition, in exact rational arithmetic."""
    a = abs(x)
    if a <= 1:
        return 1 - x * x / 2
    if a < 2:
        return (2 - a) ** 2 / 2
    return Fraction(0)


#: Dyadic points are exact in float64, so the formulas can be compared exactly too.
POINTS = [-1e6, -7.25, -2.0, -1.75, -1.5, -1.0, -0.625, -0.125, 0.0, 0.125, 0.5, 1.0, 1.25,
          1.9375, 2.0, 3.5, 1e6]


def test_sqrbf_values_and_derivatives_are_the_papers_pieces():
    spec = registry().spec("sqrbf")
    x = torch.tensor(POINTS, dtype=F64)
    y, d1 = spec.forward(x), spec.derivative(x)
    for i, xv in enumerate(POINTS):
        fx = Fraction(xv)
        assert Fraction(float(y[i])) == _sqrbf(fx), xv
        h = Fraction(1, 2 ** 30)
        slope = (_sqrbf(fx + h) - _sqrbf(fx - h)) / (2 * h)  # exact central difference
        assert float(d1[i]) == pytest.approx(float(slope), abs=1e-9), xv


def test_sqrbf_is_a_bump_that_is_exactly_zero_beyond_two():
    x = torch.linspace(-10, 10, 4001, dtype=F64, requires_grad=True)
    y = actlab.get("sqrbf")(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    outside = x.detach().abs() >= 2
    assert bool((y[outside] == 0).all()) and bool((g[outside] == 0).all())
    assert float(y.max()) == 1.0 and float(y.min()) == 0.0


def test_cube_is_x_cubed_with_its_derivatives():
    x = torch.linspace(-5, 5, 101, dtype=F64, requires_grad=True)
    y = actlab.get("cube")(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(y, torch.pow(x.detach(), 3), rtol=1e-15, atol=1e-15)
    torch.testing.assert_close(g, 3 * x.detach() ** 2, rtol=1e-15, atol=1e-15)
    spec = registry().spec("cube")
    torch.testing.assert_close(spec.second_derivative(x.detach()), 6 * x.detach())


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_huge_inputs_stay_finite_in_low_precision(dtype):
    x = torch.tensor([-1e30, -1e10, 1e10, 1e30], dtype=dtype, requires_grad=True)
    y = actlab.get("sqrbf")(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert y.tolist() == [0.0, 0.0, 0.0, 0.0] and g.tolist() == [0.0, 0.0, 0.0, 0.0]
    # The cube of 1e10 (1e30) and its slope (3e20) fit both dtypes; 1e30³ does not.
    big = torch.tensor([-1e10, 1e10], dtype=dtype, requires_grad=True)
    y = actlab.get("cube")(big)
    (g,) = torch.autograd.grad(y.sum(), big)
    assert bool(torch.isfinite(y).all()) and bool(torch.isfinite(g).all())
