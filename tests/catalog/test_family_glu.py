"""GLU and its variants against PyTorch's own ops: F.glu, and a ⊗ gate(b) written with
F.relu, F.gelu and F.silu (Shazeer 2020)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import actlab
from actlab.catalog import registry
from actlab.errors import ShapeError
from actlab.kernels import apply_analytic, force_implementation

F64 = torch.float64


def _eager(name: str, x: torch.Tensor, dim: int) -> torch.Tensor:
    a, b = x.chunk(2, dim=dim)
    gate = {"glu": torch.sigmoid, "reglu": F.relu, "geglu": F.gelu, "swiglu": F.silu}[name]
    return a * gate(b)


NAMES = ["glu", "reglu", "geglu", "swiglu"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_values_and_gradients_match_eager_pytorch(name, dim):
    x = torch.randn(4, 6, 8, dtype=F64, generator=torch.Generator().manual_seed(dim + 3)) * 3
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    expected = F.glu(x1, dim=dim) if name == "glu" else _eager(name, x1, dim)
    got = actlab.functional.call(name, x2, dim=dim)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-13, atol=1e-14)
    w = torch.randn(expected.shape, dtype=F64)
    (expected * w).sum().backward()
    (got * w).sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_lean_backward_by_finite_differences(name):
    spec = registry().spec(name)
    bound = spec.bind({"dim": 1})
    x = torch.randn(3, 6, 2, dtype=F64, generator=torch.Generator().manual_seed(2))
    if name == "reglu":  # keep b away from the kink at 0
        x = torch.where(x.abs() < 0.05, x + 0.1, x)
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: apply_analytic(spec, t, bound), (x,))
    if name != "reglu":
        assert torch.autograd.gradgradcheck(lambda t: apply_analytic(spec, t, bound), (x,))


def test_reglu_gradient_at_the_kink_is_pytorchs():
    x = torch.tensor([[2.0, -1.0, 0.0, 0.0]], dtype=F64)
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    _eager("reglu", x1, -1).sum().backward()
    with force_implementation("analytic"):
        actlab.functional.reglu(x2).sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("impl", ["analytic", "reference", "native"])
def test_odd_sizes_and_scalars_are_clear_shape_errors(name, impl):
    if impl == "native" and name != "glu":
        return
    with force_implementation(impl):
        with pytest.raises(ShapeError, match="must be even"):
            actlab.functional.call(name, torch.randn(3, 5))
        with pytest.raises(ShapeError, match="0-dimensional"):
            actlab.functional.call(name, torch.tensor(1.0))
        with pytest.raises(ShapeError, match="out of range"):
            actlab.functional.call(name, torch.randn(4, 4), dim=2)


@pytest.mark.parametrize("name", NAMES)
def test_backward_saves_only_the_input(name):
    spec = registry().spec(name)
    assert not getattr(spec.vjp, "uses_output", False)
    x = torch.randn(2, 8, requires_grad=True)
    with force_implementation("analytic"):
        y = actlab.functional.call(name, x)
    saved = y.grad_fn.saved_tensors
    assert len(saved) == 1 and saved[0].shape == x.shape


def test_glu_flavors_spell_the_axis():
    x = torch.randn(2, 6, 4)
    torch.testing.assert_close(actlab.functional.call("keras.ops.glu", x, axis=1),
                               F.glu(x, dim=1))
    torch.testing.assert_close(actlab.functional.call("jax:glu", x), F.glu(x, dim=-1))
