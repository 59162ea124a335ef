"""x², e^{-x²}, sin(ω₀x), snake and the bent identity against independent sources:
PyTorch's eager ops and autograd, and 50-digit mpmath for the cancellation-prone ones."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import torch

import actlab
from actlab.catalog import registry, resolve
from actlab.kernels import force_implementation

F64 = torch.float64
mp.mp.dps = 50


def test_square_is_seed_001s_sq_activation():
    """Seed 001 defines `sq_activation(x) = x**2` and plots it over a line of inputs."""
    x = np.linspace(-3, 3, 25)
    assert resolve("sq_activation").spec.name == "square"
    got = actlab.get("sq_activation")(torch.from_numpy(x))
    np.testing.assert_array_equal(got.numpy(), x ** 2)


@pytest.mark.parametrize("w0", [1.0, 30.0, -0.5])
def test_sine_is_sin_of_w0_x(w0):
    x = torch.linspace(-4, 4, 101, dtype=F64, requires_grad=True)
    expected = torch.sin(w0 * x)
    (g_ref,) = torch.autograd.grad(expected.sum(), x)
    with force_implementation("analytic"):
        got = actlab.functional.sine(x, w0)
    (g,) = torch.autograd.grad(got.sum(), x)
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(g, g_ref)


def test_gaussian_and_its_derivatives_in_the_tails():
    spec = registry().spec("gaussian")
    for xv in (-30.0, -5.0, -0.3, 0.0, 1e-20, 2.0, 26.0, 1e4, 1e200):
        xm = mp.mpf(xv)
        x = torch.tensor([xv], dtype=F64)
        for fn, want in ((spec.forward, mp.exp(-xm * xm)),
                         (spec.derivative, -2 * xm * mp.exp(-xm * xm)),
                         (spec.second_derivative, (4 * xm * xm - 2) * mp.exp(-xm * xm))):
            got = float(fn(x))
            assert abs(got - float(want)) <= 1e-13 * abs(float(want)) + 1e-300, (xv, fn)


@pytest.mark.parametrize("xv", [-1e300, -1e8, -3.0, -1e-8, -1e-160, 0.0, 1e-8, 0.5, 7.0, 1e8,
                                1e300])
def test_bent_identity_is_accurate_where_the_naive_formula_cancels_or_overflows(xv):
    xm = mp.mpf(xv)
    want = (mp.sqrt(xm * xm + 1) - 1) / 2 + xm
    want1 = xm / (2 * mp.sqrt(xm * xm + 1)) + 1
    spec = registry().spec("bent_identity")
    x = torch.tensor([xv], dtype=F64)
    assert float(spec.forward(x)) == pytest.approx(float(want), rel=1e-15, abs=1e-300)
    assert float(spec.derivative(x)) == pytest.approx(float(want1), rel=1e-15)


def test_bent_identity_matches_the_formula_in_float32_modules():
    x = torch.linspace(-50, 50, 1001)
    x64 = x.double()
    expected = (torch.sqrt(x64 * x64 + 1) - 1) / 2 + x64
    torch.testing.assert_close(actlab.get("bent_identity")(x), expected.float())


# --- snake ---------------------------------------------------------------------------------
def test_snake_learns_alpha_by_default_and_matches_autograd():
    module = actlab.get("snake", num_parameters=3).double()
    assert [n for n, _ in module.named_parameters()] == ["alpha"]
    alpha = torch.tensor([0.5, 1.0, 3.0], dtype=F64)
    with torch.no_grad():
        module.alpha.copy_(alpha)
    x = torch.randn(2, 3, 7, dtype=F64, generator=torch.Generator().manual_seed(4)) * 3
    a_ref = alpha.reshape(3, 1).clone().requires_grad_(True)
    x_ref = x.clone().requires_grad_(True)
    expected = x_ref + torch.sin(a_ref * x_ref) ** 2 / a_ref
    x_our = x.clone().requires_grad_(True)
    got = module(x_our)
    torch.testing.assert_close(got, expected)
    w = torch.randn_like(x)
    (expected * w).sum().backward()
    (got * w).sum().backward()
    torch.testing.assert_close(x_our.grad, x_ref.grad)
    torch.testing.assert_close(module.alpha.grad, a_ref.grad.reshape(3))


def test_snake_can_be_fixed():
    module = actlab.get("snake", alpha=2.0, trainable=False)
    assert not list(module.parameters())
    x = torch.linspace(-3, 3, 13)
    torch.testing.assert_close(module(x), x + torch.sin(2 * x) ** 2 / 2)


def test_snake_is_monotonic_for_negative_alpha_too():
    spec = registry().spec("snake")
    x = torch.linspace(-20, 20, 20001, dtype=F64)
    for alpha in (-2.0, 0.3, 5.0):
        y = spec.forward(x, alpha=alpha)
        assert bool((y[1:] - y[:-1] >= -1e-12).all())


def test_sine_has_no_limit_at_infinity():
    y = actlab.functional.sine(torch.tensor([math.inf, -math.inf]))
    assert torch.isnan(y).all()
