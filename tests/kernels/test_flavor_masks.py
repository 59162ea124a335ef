"""Flavor variants whose pieces own their kinks differently from PyTorch's (JAX's and flax's
hard_tanh and leaky_relu, Keras 2's hard_sigmoid) train from their own 1-byte mask under
``prefer("memory")``, with the flavor's derivative at every kink and one ulp around it."""

from __future__ import annotations

import pytest
import torch

import actlab
from actlab.kernels import prefer
from actlab.kernels.piecewise import FLAVOR_BUILDERS

SPELLINGS = {("hardtanh", "jax"): "jax:hard_tanh", ("hardtanh", "flax"): "flax.linen.hard_tanh",
             ("leaky_relu", "jax"): "jax:leaky_relu",
             ("leaky_relu", "flax"): "flax.linen.leaky_relu",
             ("hard_sigmoid", "keras2"): "keras2:hard_sigmoid"}


def test_every_flavor_mask_has_a_spelling_here():
    assert set(SPELLINGS) == set(FLAVOR_BUILDERS)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("spelling", sorted(SPELLINGS.values()))
def test_flavor_mask_gives_the_flavors_derivative_at_and_around_its_kinks(spelling, dtype):
    resolved = actlab.resolve(spelling)
    variant, bound = resolved.spec, resolved.bind()
    kinks = torch.tensor([float(k) for k in variant.kink_points(bound)], dtype=dtype)
    around = torch.cat([kinks, torch.nextafter(kinks, kinks + 1), torch.nextafter(kinks, kinks - 1),
                        torch.linspace(-4, 4, 33, dtype=dtype)])
    with prefer("memory"):
        module = actlab.get(spelling)
    assert "mask" in repr(module)
    x = around.clone().requires_grad_(True)
    y = module(x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    values = variant.math_values(bound)
    # Exact: the mask's levels are the flavor's constant slopes and the pieces are
    # comparisons, so no rounding can differ between the kernel and the spec.
    torch.testing.assert_close(grad, variant.derivative(around, **values), rtol=0, atol=0)
    torch.testing.assert_close(y.detach(), variant.forward(around, **values),
                               rtol=4 * torch.finfo(dtype).eps, atol=0)
