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
from actlab.kernels import apply, blocked, force_implementation, fused_kernel

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


def test_every_piecewise_linear_and_slow_native_activation_has_a_fused_kernel():
    names = {p.values[0].name for p in FUSED}
    assert {"relu", "leaky_relu", "relu6", "hardtanh", "threshold", "hardshrink", "softshrink",
            "hard_sigmoid", "prelu", "elu", "selu", "celu", "mish", "softsign", "log_sigmoid",
            "gelu", "softplus"} <= names


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
def test_the_compilers_mask_gives_the_same_pieces_as_the_eager_one(spec, bound, dtype):
    # The traced form is what torch.compile sees; run eagerly, it must give the same codes,
    # whose levels must be the spec's derivative (nan, infinities and -0 included).
    kernel = fused_kernel(spec, bound)
    x64 = representable(sample_points(spec, bound), dtype)
    x = torch.cat([x64.to(dtype), torch.tensor([float("nan"), float("inf"), float("-inf"),
                                                -0.0], dtype=dtype)])
    eager, traced = kernel.mask(x), kernel.traced_mask(x)
    assert traced.dtype == torch.uint8
    # Exact: piece codes are integers and the levels are the spec's constant slopes.
    torch.testing.assert_close(traced, eager, rtol=0, atol=0)
    levels = torch.tensor(kernel.levels, dtype=F64)[traced[:len(x64)].long()]
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


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocked evaluation on small tensors: 37-element blocks from 100 elements on."""
    monkeypatch.setattr(blocked, "MIN_BLOCKED_ELEMENTS", 100)
    monkeypatch.setattr(blocked, "BLOCK_ELEMENTS", 37)


BLOCKED_CASES = [(name, impl) for name in ("relu", "leaky_relu", "mish", "elu", "log_sigmoid",
                                            "softsign", "jax:gelu", "torch:softplus")
                 for impl in ("fused", "analytic")] + [("quick_gelu", "analytic"),
                                                       ("sqnl", "analytic")]


@pytest.mark.parametrize(("name", "impl"), BLOCKED_CASES)
def test_blocked_evaluation_equals_whole_tensor_evaluation(name, impl, monkeypatch):
    import actlab

    resolved = actlab.resolve(name)
    spec, bound = resolved.spec, resolved.bind()
    x = torch.randn(1000, generator=torch.Generator().manual_seed(0)) * 4
    w = torch.randn(1000, generator=torch.Generator().manual_seed(1))
    whole_y, whole_grad = _value_and_grad(spec, bound, x, w, impl)
    monkeypatch.setattr(blocked, "MIN_BLOCKED_ELEMENTS", 100)
    monkeypatch.setattr(blocked, "BLOCK_ELEMENTS", 37)
    assert blocked.worth_blocking(x)
    y, grad = _value_and_grad(spec, bound, x, w, impl)
    # The same formula: only vector loops and their scalar tails fall differently.
    torch.testing.assert_close(y, whole_y, rtol=2e-6, atol=2e-7)
    torch.testing.assert_close(grad, whole_grad, rtol=2e-6, atol=2e-7)
    want_y, want_grad = _expected(spec, bound, x.to(F64), w.to(F64), torch.float32)
    torch.testing.assert_close(y.to(F64), want_y, **TOLERANCE[torch.float32])
    torch.testing.assert_close(grad.to(F64), want_grad, **TOLERANCE[torch.float32])


def test_non_contiguous_inputs_are_not_blocked_and_still_correct(tiny_blocks):
    import actlab

    spec = actlab.spec("mish")
    x = torch.randn(40, 50, generator=torch.Generator().manual_seed(2)).t()
    assert not x.is_contiguous() and not blocked.worth_blocking(x)
    y, grad = _value_and_grad(spec, spec.bind(), x, torch.ones_like(x), "fused")
    torch.testing.assert_close(y, torch.nn.functional.mish(x))
    want = spec.derivative(x.to(F64)).to(torch.float32)
    torch.testing.assert_close(grad, want)


ALONG_DIM = [pytest.param(s, id=s.name) for s in registry().specs()
             if s.kind in ("vector", "gated") and any(p.name == "dim" for p in s.params)
             and s.vjp is not None]


@pytest.mark.parametrize("spec", ALONG_DIM)
def test_vector_and_gated_functions_blocked_by_rows_equal_autograd_of_the_spec(spec,
                                                                               tiny_blocks):
    """Rows of a (rows, 64) input stay in cache; values and gradients are the formula's."""
    bound = spec.bind({"dim": -1})
    x = torch.randn(300, 64, generator=torch.Generator().manual_seed(6), dtype=F64) * 3
    ref_x = x.clone().requires_grad_(True)
    ref_y = spec.forward(ref_x, **spec.math_values(bound))
    w = torch.randn(ref_y.shape, generator=torch.Generator().manual_seed(7), dtype=F64)
    (ref_grad,) = torch.autograd.grad(ref_y, ref_x, w)
    y, grad = _value_and_grad(spec, bound, x, w, "analytic")
    torch.testing.assert_close(y, ref_y.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-10, atol=1e-12)


def test_blocked_evaluation_keeps_the_callers_thread_count_and_survives_fork(tiny_blocks,
                                                                          monkeypatch):
    import actlab

    spec = actlab.spec("mish")
    before = torch.get_num_threads()
    x = torch.randn(1000, generator=torch.Generator().manual_seed(8))
    expected = torch.nn.functional.mish(x)
    torch.testing.assert_close(apply(spec, x, spec.bind(), implementation="fused"), expected)
    assert torch.get_num_threads() == before
    if before > 1:
        pool = blocked._POOL.executor(before)
        # Workers run their blocks single-threaded (no nested OpenMP teams), even after
        # their first op, which is when ATen sets a thread's count from the default.
        counts = [pool.submit(lambda: (torch.zeros(4) + 1, torch.get_num_threads())[1])
                  for _ in range(4 * before)]
        assert {f.result() for f in counts} == {1}
        # In a forked child the inherited executor has no threads: a new one is made.
        monkeypatch.setattr(blocked.os, "getpid", lambda: -1)
        assert blocked._POOL.executor(before) is not pool
        torch.testing.assert_close(apply(spec, x, spec.bind(), implementation="fused"),
                                   expected)
