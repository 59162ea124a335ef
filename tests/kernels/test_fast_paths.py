"""Fast paths compute the spec's function: same values and gradients as its float64 formula.

Fused kernels use other arithmetic than the spec (one exp for mish, the output for the
ELU family's backward, masks for piecewise-linear functions), so each is checked against
the spec's `forward` and `derivative` in float64, in every dtype, at the kinks exactly.
"""

from __future__ import annotations

import pytest
import torch
from kernel_inputs import (
    DTYPES,
    F64,
    TOLERANCE,
    elementwise_settings,
    representable,
    sample_points,
)

from actlab.catalog import registry
from actlab.kernels import apply, force_implementation, fused_kernel

FUSED = [p for p in elementwise_settings() if fused_kernel(*p.values) is not None]


def _value_and_grad(spec, bound, x: torch.Tensor, weights: torch.Tensor, impl: str):
    x = x.clone().requires_grad_(True)
    with force_implementation(impl):
        y = apply(spec, x, bound)
    (grad,) = torch.autograd.grad(y, x, weights)
    return y.detach(), grad


def _expected(spec, bound, x64: torch.Tensor, w64: torch.Tensor, dtype: torch.dtype):
    values = spec.math_values(bound)
    y = spec.forward(x64, **values)
    d = spec.derivative(x64, **values)
    return y.to(dtype).to(F64), (w64 * d).to(dtype).to(F64)


def test_every_piecewise_linear_and_output_saving_activation_has_a_fused_kernel():
    names = {p.values[0].name for p in FUSED}
    assert {"relu", "leaky_relu", "relu6", "hardtanh", "threshold", "hardshrink", "softshrink",
            "hard_sigmoid", "prelu", "elu", "selu", "celu", "softsign", "log_sigmoid",
            "softplus", "sigmoid", "tanh"} <= names


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("spec", "bound"), FUSED)
def test_fused_values_and_gradients_equal_the_spec(spec, bound, dtype):
    impl = "fused"
    x64 = representable(sample_points(spec, bound), dtype)
    w64 = torch.randn(x64.shape, generator=torch.Generator().manual_seed(3), dtype=F64)
    w64 = w64.to(dtype).to(F64)
    y, grad = _value_and_grad(spec, bound, x64.to(dtype), w64.to(dtype), impl)
    assert y.dtype == dtype and grad.dtype == dtype
    want_y, want_grad = _expected(spec, bound, x64, w64, dtype)
    torch.testing.assert_close(y.to(F64), want_y, **TOLERANCE[dtype])
    tolerance = dict(TOLERANCE[dtype])
    if fused_kernel(spec, bound).saves == "output" and dtype in (torch.float16, torch.bfloat16):
        # f′ from the output rounded to half precision (PyTorch's own rule for tanh,
        # sigmoid, exp and in-place ELU): tanh′ = 1 − y² is off by up to 2·eps·|y|².
        tolerance["atol"] = 2 * torch.finfo(dtype).eps
    torch.testing.assert_close(grad.to(F64), want_grad, **tolerance)


KINKED = [p for p in FUSED if p.values[0].kink_points(p.values[1])]


@pytest.mark.parametrize(("spec", "bound"), KINKED)
def test_fused_derivative_at_kinks_is_the_specs_convention_exactly(spec, bound):
    x = torch.tensor([float(k) for k in spec.kink_points(bound)], dtype=F64)
    _, grad = _value_and_grad(spec, bound, x, torch.ones_like(x), "fused")
    assert torch.equal(grad, spec.derivative(x, **spec.math_values(bound)))


@pytest.mark.parametrize(("spec", "bound"), FUSED)
def test_fused_values_at_infinity_are_the_specs_limits(spec, bound):
    x = torch.tensor([-float("inf"), float("inf")], dtype=F64)
    with force_implementation("fused"):
        y = apply(spec, x, bound)
    torch.testing.assert_close(y, spec.forward(x, **spec.math_values(bound)), equal_nan=True)


MASKED = [p for p in FUSED if fused_kernel(*p.values).saves == "mask"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize(("spec", "bound"), MASKED)
def test_each_masks_levels_are_the_specs_derivative(spec, bound, dtype):
    # The piece codes, read through the levels, are the spec's derivative exactly (the
    # levels are its constant slopes), kinks included; nan, infinities and -0 get a code.
    kernel = fused_kernel(spec, bound)
    x64 = representable(sample_points(spec, bound), dtype)
    x = torch.cat([x64.to(dtype), torch.tensor([float("nan"), float("inf"), float("-inf"),
                                                -0.0], dtype=dtype)])
    codes = kernel.mask(x)
    assert codes.dtype == torch.uint8 and int(codes.max()) < len(kernel.levels)
    levels = torch.tensor(kernel.levels, dtype=F64)[codes[:len(x64)].long()]
    finite = torch.isfinite(spec.derivative(x64, **spec.math_values(bound)))
    want = spec.derivative(x64, **spec.math_values(bound))
    torch.testing.assert_close(levels[finite], want[finite], rtol=0, atol=0)


@pytest.mark.parametrize(("spec", "bound"), FUSED)
def test_fused_double_backward_by_gradgradcheck(spec, bound):
    points = sample_points(spec, bound, n=12)
    kinks = torch.tensor(spec.kink_points(bound) or [1e9], dtype=F64)
    far = (points.unsqueeze(1) - kinks).abs().min(1).values > 1e-2
    x = points[far & (points.abs() < 20)].requires_grad_(True)

    def fn(t):
        with force_implementation("fused"):
            return apply(spec, t, bound)

    assert torch.autograd.gradcheck(fn, (x,), eps=1e-6, atol=1e-6)
    assert torch.autograd.gradgradcheck(fn, (x,), eps=1e-6, atol=1e-5)


ALONG_DIM = [pytest.param(s, id=s.name) for s in registry().specs()
             if s.kind in ("vector", "gated") and any(p.name == "dim" for p in s.params)
             and s.vjp is not None]


@pytest.mark.parametrize("spec", ALONG_DIM)
def test_vector_and_gated_analytic_functions_equal_autograd_of_the_spec(spec):
    """Along the last dimension of a (rows, 64) input: values and gradients of the lean
    Function (the vjp) are autograd's through the formula."""
    bound = spec.bind({"dim": -1})
    x = torch.randn(300, 64, generator=torch.Generator().manual_seed(6), dtype=F64) * 3
    ref_x = x.clone().requires_grad_(True)
    ref_y = spec.forward(ref_x, **spec.math_values(bound))
    w = torch.randn(ref_y.shape, generator=torch.Generator().manual_seed(7), dtype=F64)
    (ref_grad,) = torch.autograd.grad(ref_y, ref_x, w)
    y, grad = _value_and_grad(spec, bound, x, w, "analytic")
    torch.testing.assert_close(y, ref_y.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-10, atol=1e-12)
