"""Every implementation in every dtype: accurate, finite where the float64 value is, and
correct on extreme, empty and non-contiguous inputs."""

from __future__ import annotations

import math

import pytest
import torch

from actlab.catalog import registry
from actlab.catalog.spec import ActivationSpec
from actlab.kernels import apply, force_implementation

DTYPES = {
    torch.float16: dict(rtol=2e-3, atol=2e-3),
    torch.bfloat16: dict(rtol=1.6e-2, atol=1e-2),
    torch.float32: dict(rtol=2e-6, atol=1e-6),
    torch.float64: dict(rtol=1e-12, atol=1e-12),
}


def _implementations(spec: ActivationSpec, bound: dict) -> list[str]:
    impls = ["analytic"]
    if spec.uses_native(bound):
        impls.append("native")
    return impls


CASES = []
for _spec in registry().specs():
    _bound = _spec.bind(fill_examples=True)
    for _impl in _implementations(_spec, _bound):
        CASES.append(pytest.param(_spec, _impl, id=f"{_spec.name}-{_impl}"))


def _shape_input(spec: ActivationSpec, values: torch.Tensor) -> torch.Tensor:
    """Arrange sample values as the function needs them (vectors, halves, channels)."""
    if spec.name == "softmax2d":
        return values[: 2 * 3 * 4 * (values.numel() // 24)].reshape(-1, 3, 4, 2)
    if spec.kind in ("vector", "gated"):
        return values[: (values.numel() // 8) * 8].reshape(-1, 8)
    return values


def _run(spec, impl, x, bound):
    with force_implementation(impl):
        return apply(spec, x, bound)


def _extremes(spec: ActivationSpec, bound: dict, dtype: torch.dtype) -> torch.Tensor:
    info = torch.finfo(dtype)
    base = [0.0, -0.0, 1e4, -1e4, 1e3, -1e3, 100.0, -100.0, 30.0, -30.0, 1.0, -1.0,
            info.tiny, -info.tiny, info.tiny / 4, -info.tiny / 4, info.eps, -info.eps]
    if spec.kind == "elementwise":
        for k in spec.kink_points(bound):
            base += [k, k + 1e-3, k - 1e-3]
    return torch.tensor(base, dtype=torch.float64)


@pytest.mark.parametrize(("spec", "impl"), CASES)
@pytest.mark.parametrize("dtype", list(DTYPES), ids=str)
def test_every_dtype_agrees_with_float64(spec, impl, dtype):
    bound = spec.bind(fill_examples=True)
    gen = torch.Generator().manual_seed(7)
    x64 = _shape_input(spec, torch.randn(480, generator=gen, dtype=torch.float64) * 4)
    x = x64.to(dtype)
    reference = _run(spec, "reference", x.to(torch.float64), bound)
    got = _run(spec, impl, x, bound)
    assert got.dtype == dtype and got.shape == reference.shape
    torch.testing.assert_close(got.to(torch.float64), reference.to(dtype).to(torch.float64),
                               **DTYPES[dtype])


@pytest.mark.parametrize(("spec", "impl"), CASES)
@pytest.mark.parametrize("dtype", list(DTYPES), ids=str)
def test_extreme_inputs_stay_finite_where_float64_is(spec, impl, dtype):
    bound = spec.bind(fill_examples=True)
    values = _extremes(spec, bound, dtype).to(dtype)
    if spec.kind != "elementwise":
        values = torch.cat([values, torch.zeros((-values.numel()) % 24, dtype=dtype)])
    x = _shape_input(spec, values)
    reference = _run(spec, "reference", x.to(torch.float64), bound)
    x_grad = x.clone().requires_grad_(True)
    got = _run(spec, impl, x_grad, bound)
    representable = torch.isfinite(reference) & (reference.abs() < torch.finfo(dtype).max)
    bad = representable & ~torch.isfinite(got.detach())
    assert not bool(bad.any()), f"non-finite at inputs {x[bad].tolist()}"
    got.sum().backward()
    x_fd = x.to(torch.float64).clone().requires_grad_(True)
    ref_out = _run(spec, "reference", x_fd, bound)
    ref_grad = (torch.autograd.grad(ref_out.sum(), x_fd)[0] if ref_out.requires_grad
                else torch.zeros_like(x_fd))
    grad_ok = torch.isfinite(ref_grad) & (ref_grad.abs() < torch.finfo(dtype).max)
    bad_grad = grad_ok & ~torch.isfinite(x_grad.grad)
    assert not bool(bad_grad.any()), f"non-finite gradient at {x[bad_grad].tolist()}"


ANALYTIC_ELEMENTWISE = [pytest.param(s, id=s.name) for s in registry().specs()
                        if s.kind == "elementwise"]


def _has_limit(spec: ActivationSpec, bound: dict, sign: float) -> bool:
    """Whether f has a limit at sign·∞: far out its float64 values are monotone in |x|.

    A wave (sin(ω₀x), x·cos x) takes pseudo-random values at 41 points between 1e100 and
    1e300 and is not; a function with a limit, finite or infinite, is.
    """
    far = sign * torch.logspace(100, 300, 41, dtype=torch.float64)
    y = _run(spec, "reference", far, bound)
    if bool(torch.isnan(y).any()):
        return False
    return bool(torch.equal(y, y.sort().values) or torch.equal(y, y.sort(descending=True).values))


@pytest.mark.parametrize("spec", ANALYTIC_ELEMENTWISE)
def test_infinite_inputs_give_the_limit_not_nan(spec):
    """f(±inf) is the limit where f has one; nan only where it has none (a wave)."""
    bound = spec.bind(fill_examples=True)
    x = torch.tensor([-math.inf, math.inf], dtype=torch.float64)
    with force_implementation("analytic"):
        y = apply(spec, x, bound)
    far = _run(spec, "reference", torch.tensor([-1e200, 1e200], dtype=torch.float64), bound)
    nearer = _run(spec, "reference", torch.tensor([-1e100, 1e100], dtype=torch.float64), bound)
    sides = [s for s in (-1.0, 1.0) if _has_limit(spec, bound, s)]
    for i, sign in enumerate((-1.0, 1.0)):
        if sign not in sides:
            continue
        limit, value, before = float(y[i]), float(far[i]), float(nearer[i])
        assert not math.isnan(limit), f"{spec.name}({sign:+g}·inf) = nan"
        if math.isfinite(limit):
            assert limit == pytest.approx(value, rel=1e-6, abs=1e-9)
        elif math.isfinite(value):
            # An infinite limit: f must still be growing towards it (even like a logarithm).
            assert math.copysign(1, limit) * (value - before) > 1


def test_waves_are_told_apart_from_functions_with_a_limit():
    """The limit test skips a side only where the function truly oscillates."""
    spec = registry().spec("sine")
    assert not _has_limit(spec, spec.bind(), 1.0) and not _has_limit(spec, spec.bind(), -1.0)
    for name, side in (("tanh", 1.0), ("tanh", -1.0), ("relu", -1.0), ("relu", 1.0),
                       ("sigmoid", -1.0)):
        spec = registry().spec(name)
        assert _has_limit(spec, spec.bind(), side), (name, side)


@pytest.mark.parametrize(("spec", "impl"), CASES)
def test_empty_and_non_contiguous_inputs(spec, impl):
    bound = spec.bind(fill_examples=True)
    if spec.name == "softmax2d":
        empty = torch.empty(0, 3, 4, 2)
        base = torch.randn(2, 3, 4, 6)
        strided = base[..., ::2]
    elif spec.kind in ("vector", "gated"):
        empty = torch.empty(0, 8)
        base = torch.randn(8, 6)
        strided = base.t()
    else:
        empty = torch.empty(0)
        base = torch.randn(6, 10)
        strided = base.t()[::2]
    assert not strided.is_contiguous()
    e = empty.clone().requires_grad_(True)
    out = _run(spec, impl, e, bound)
    assert out.shape[0] == 0
    out.sum().backward()
    assert e.grad.shape == e.shape
    s = strided.clone().requires_grad_(True)
    c = strided.contiguous().requires_grad_(True)
    ys, yc = _run(spec, impl, s, bound), _run(spec, impl, c, bound)
    torch.testing.assert_close(ys, yc, **_strided_tolerance(yc))
    weights = torch.randn(ys.shape)
    (ys * weights).sum().backward()
    (yc * weights).sum().backward()
    torch.testing.assert_close(s.grad, c.grad, **_strided_tolerance(c.grad))


def _strided_tolerance(reference: torch.Tensor) -> dict:
    """How far a strided input's result may be from the contiguous one's.

    PyTorch vectorises contiguous tensors (SLEEF's exp/tanh/log1p, each within 1 ulp) and
    runs strided ones through the scalar libm loop (also within 1 ulp), so the two may round
    differently in the last bits; which elements differ depends on the CPU's vector width
    (ATEN_CPU_CAPABILITY=avx2 vs avx512 vs default). A derivative built from several such
    calls (mish' = tanh(sp) + x sech^2(sp) sigmoid(x)) compounds that to a few ulps, more near
    its zeros where terms cancel: measured under avx2, at most 9 eps relative to the element
    and 1.6 eps relative to the largest element. 16 eps relative plus 4 eps of the largest
    magnitude covers that with margin while still catching any real difference (a wrong
    stride or a dropped element is off by O(1)).
    """
    eps = torch.finfo(reference.dtype).eps
    scale = float(reference.detach().abs().max()) if reference.numel() else 0.0
    return dict(rtol=16 * eps, atol=4 * eps * max(scale, 1.0))
