"""In-place activations: same values and gradients as out of place, the input really
overwritten, and autograd refusing what it must (a leaf, a tensor another op saved)."""

from __future__ import annotations

import pytest
import torch
from kernel_inputs import F64, elementwise_settings, sample_points

import actlab
from actlab.errors import ParameterError
from actlab.kernels import apply, choose, force_implementation, supports_inplace

#: Any size will do: the choice never depends on it.
ELEMENTS = 1 << 12

INPLACE = [p for p in elementwise_settings() if supports_inplace(*p.values)]


def _has_inplace_kernel(spec, bound) -> bool:
    kernel = actlab.kernels.fused_kernel(spec, bound)
    return kernel is not None and kernel.inplace


INPLACE_BY_IMPL = [pytest.param(*p.values, impl, id=f"{p.id}-{impl}") for p in INPLACE
                   for impl in ("auto", "fused")
                   if impl == "auto" or _has_inplace_kernel(*p.values)]


def _points(spec, bound) -> torch.Tensor:
    x = sample_points(spec, bound)
    # Large enough that auto takes the lean kernel for training.
    return x.repeat(ELEMENTS // x.numel() + 1)


def _out_of_place(spec, bound, x, w, impl):
    leaf = x.clone().requires_grad_(True)
    with force_implementation(impl):  # native and fused may differ by an ulp (hardsigmoid)
        y = apply(spec, leaf * 1, bound)
    (grad,) = torch.autograd.grad(y, leaf, w)
    return y.detach(), grad


def test_in_place_is_offered_where_the_backward_needs_no_input():
    names = {p.values[0].name for p in INPLACE}
    assert {"relu", "leaky_relu", "hardtanh", "elu", "selu", "celu", "sigmoid", "tanh",
            "softsign", "log_sigmoid", "threshold", "hardshrink", "softshrink"} <= names
    assert not {"gelu", "quick_gelu", "relu_squared", "square"} & names


@pytest.mark.parametrize(("spec", "bound", "impl"), INPLACE_BY_IMPL)
def test_in_place_equals_out_of_place_and_overwrites_the_input(spec, bound, impl):
    x = _points(spec, bound)
    w = torch.randn(x.shape, generator=torch.Generator().manual_seed(4), dtype=F64)
    leaf = x.clone().requires_grad_(True)
    target = leaf * 1  # a non-leaf: autograd allows overwriting it
    with force_implementation(impl):
        chosen = choose(spec, bound, "auto", inplace=True).kind
    want_y, want_grad = _out_of_place(spec, bound, x, w, chosen)
    before = target.data_ptr()
    with force_implementation(impl):
        y = apply(spec, target, bound, inplace=True)
    assert y.data_ptr() == before and target.data_ptr() == before
    torch.testing.assert_close(target.detach(), want_y, rtol=1e-12, atol=1e-12)
    (grad,) = torch.autograd.grad(y, leaf, w)
    torch.testing.assert_close(grad, want_grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["relu", "elu", "softsign", "log_sigmoid", "mish"])
def test_in_place_without_gradient_overwrites_the_input(name):
    spec = actlab.spec(name)
    x = torch.randn(ELEMENTS, generator=torch.Generator().manual_seed(0))
    expected = apply(spec, x, spec.bind())
    target = x.clone()
    with torch.no_grad():
        out = apply(spec, target, spec.bind(), inplace=True)
    assert out.data_ptr() == target.data_ptr()
    torch.testing.assert_close(target, expected)


@pytest.mark.parametrize("name", ["relu", "elu", "softsign"])
def test_autograd_refuses_to_overwrite_a_leaf_that_requires_grad(name):
    spec = actlab.spec(name)
    leaf = torch.randn(ELEMENTS, requires_grad=True)
    with force_implementation("fused"), pytest.raises(RuntimeError, match="leaf"):
        apply(spec, leaf, spec.bind(), inplace=True)


@pytest.mark.parametrize("name", ["relu", "elu", "log_sigmoid"])
def test_autograd_detects_overwriting_a_tensor_another_op_saved(name):
    spec = actlab.spec(name)
    leaf = torch.randn(ELEMENTS, requires_grad=True)
    saved_by_exp = leaf.exp()  # exp's backward needs its output
    with force_implementation("fused"):
        y = apply(spec, saved_by_exp, spec.bind(), inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_in_place_is_refused_where_the_backward_needs_the_input():
    for name in ("gelu", "quick_gelu", "relu_squared"):
        with pytest.raises(ParameterError, match="inplace"):
            actlab.get(name, inplace=True)
    spec = actlab.spec("relu")
    with force_implementation("analytic"), pytest.raises(ParameterError, match="inplace"):
        apply(spec, torch.randn(8), spec.bind(), inplace=True)
    with pytest.raises(ParameterError, match="inplace"):
        actlab.get("prelu", inplace=True)  # its learned slope's gradient needs x


def test_in_place_modules_print_it_and_overwrite():
    module = actlab.get("elu", inplace=True)
    assert "inplace=True" in repr(module)
    x = torch.randn(100)
    expected = torch.nn.functional.elu(x)
    out = module(x)
    assert out.data_ptr() == x.data_ptr()
    torch.testing.assert_close(x, expected)
