"""Every property a spec claims is checked numerically (SciPy quadrature, hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize

from actlab.catalog import registry
from actlab.catalog.spec import INF, ActivationSpec

SPECS = registry().specs()
ELEMENTWISE = [pytest.param(s, id=s.name) for s in SPECS if s.kind == "elementwise"]
F64 = torch.float64


def f_of(spec: ActivationSpec):
    bound = spec.bind(fill_examples=True)
    values = spec.math_values(bound)

    def f(x):
        t = torch.as_tensor(x, dtype=F64)
        with torch.no_grad():
            return spec.forward(t, **values)

    return f, bound


def autograd_slope(spec: ActivationSpec, x: torch.Tensor) -> torch.Tensor:
    """f' from autograd of the reference formula (independent of the analytic f')."""
    bound = spec.bind(fill_examples=True)
    t = x.clone().to(F64).requires_grad_(True)
    y = spec.forward(t, **spec.math_values(bound))
    if not y.requires_grad:
        return torch.zeros_like(t)
    return torch.autograd.grad(y.sum(), t)[0]


GRID = torch.cat([-torch.logspace(-3, 8, 1100, dtype=F64).flip(0),
                  torch.linspace(-10, 10, 4001, dtype=F64),
                  torch.logspace(-3, 8, 1100, dtype=F64)]).sort().values


def unbounded(y_far: float, y_near: float, direction: float) -> bool:
    """f keeps growing in `direction` between |x| = 1e4 and 1e8 (or is already huge)."""
    return direction * y_far > 50 or direction * (y_far - y_near) > 1


def gaussian_moment(fn, kinks=(), power=1) -> float:
    """E[f(z)^power] for z ~ N(0, 1) by adaptive quadrature, split at the kinks."""
    def integrand(z):
        return float(fn(torch.tensor([z], dtype=F64))[0]) ** power * math.exp(-z * z / 2) \
            / math.sqrt(2 * math.pi)

    edges = [-40.0] + sorted(k for k in kinks if -40 < k < 40) + [40.0]
    return sum(integrate.quad(integrand, a, b, limit=200, epsabs=1e-11)[0]
               for a, b in zip(edges, edges[1:]))


@pytest.mark.parametrize("spec", ELEMENTWISE)
@settings(max_examples=200, deadline=None)
@given(x=st.floats(min_value=-1e4, max_value=1e4, allow_nan=False))
def test_values_lie_in_the_claimed_range(spec, x):
    f, _ = f_of(spec)
    lo, hi = spec.properties.output_range
    y = float(f([x])[0])
    tol = 1e-9 * (1 + abs(y))
    assert lo - tol <= y <= hi + tol


def _refined_extreme(f, x: torch.Tensor, y: torch.Tensor, sign: float) -> float:
    """The minimum (sign=1) or maximum (sign=-1) of f, polished around the best grid point."""
    i = int(torch.argmin(sign * y))
    best = float(y[i])
    lo, hi = float(x[max(i - 1, 0)]), float(x[min(i + 1, len(x) - 1)])
    if hi > lo:
        res = optimize.minimize_scalar(lambda t: sign * float(f([t])[0]), bounds=(lo, hi),
                                       method="bounded", options={"xatol": 1e-12})
        best = min(best, sign * float(res.fun), key=lambda v: sign * v)
    return best


@pytest.mark.parametrize("spec", ELEMENTWISE)
def test_claimed_range_is_tight_and_its_ends_are_right(spec):
    f, bound = f_of(spec)
    kinks = torch.tensor(spec.kink_points(bound), dtype=F64)
    x = torch.cat([GRID, kinks, kinks - 1e-9, kinks + 1e-9]).sort().values
    y = f(x)
    lo, hi = spec.properties.output_range
    closed_lo, closed_hi = spec.properties.range_closed
    far = f(torch.tensor([-1e8, -1e4, 1e4, 1e8], dtype=F64)).tolist()
    if math.isinf(lo):
        assert unbounded(far[0], far[1], -1) or unbounded(far[3], far[2], -1)
    else:
        low = _refined_extreme(f, x, y, 1.0)
        assert low == pytest.approx(lo, abs=1e-6)
        if closed_lo:
            assert abs(low - lo) < 1e-9, f"{spec.name} claims it attains {lo}"
    if math.isinf(hi):
        assert unbounded(far[3], far[2], 1) or unbounded(far[0], far[1], 1)
    else:
        high = _refined_extreme(f, x, y, -1.0)
        assert high == pytest.approx(hi, abs=1e-6)
        if closed_hi:
            assert abs(high - hi) < 1e-9, f"{spec.name} claims it attains {hi}"


@pytest.mark.parametrize("spec", ELEMENTWISE)
def test_monotonicity_claim(spec):
    f, _ = f_of(spec)
    y = f(GRID)
    steps = y[1:] - y[:-1]
    decreasing = bool((steps < -1e-12 * (1 + y[1:].abs())).any())
    assert spec.properties.monotonic == (not decreasing)


@pytest.mark.parametrize("spec", ELEMENTWISE)
@settings(max_examples=100, deadline=None)
@given(a=st.floats(-50, 50), b=st.floats(-50, 50))
def test_monotonic_functions_never_decrease(spec, a, b):
    if not spec.properties.monotonic:
        return
    f, _ = f_of(spec)
    lo, hi = sorted((a, b))
    ya, yb = f([lo, hi]).tolist()
    assert ya <= yb + 1e-12 * (1 + abs(yb))


@pytest.mark.parametrize("spec", ELEMENTWISE)
def test_zero_centred_claim(spec):
    f, bound = f_of(spec)
    kinks = spec.kink_points(bound)
    mean = gaussian_moment(f, kinks)
    rms = math.sqrt(gaussian_moment(f, kinks, power=2))
    assert spec.properties.zero_centred == (abs(mean) <= 0.1 * rms), (mean, rms)


@pytest.mark.parametrize("spec", ELEMENTWISE)
def test_saturation_claim(spec):
    slopes = autograd_slope(spec, torch.tensor([-1e8, 1e8], dtype=F64)).abs()
    left, right = bool(slopes[0] < 1e-6), bool(slopes[1] < 1e-6)
    expected = {(True, True): "both", (True, False): "left", (False, True): "right",
                (False, False): "none"}[(left, right)]
    assert spec.properties.saturation == expected


def _jumps(fn, k: float, h: float, scale: float) -> bool:
    left = float(fn(torch.tensor([k - h], dtype=F64))[0])
    right = float(fn(torch.tensor([k + h], dtype=F64))[0])
    return abs(left - right) > scale * (1 + abs(left))


@pytest.mark.parametrize("spec", ELEMENTWISE)
def test_smoothness_claim_is_exact(spec):
    """C^k: derivatives up to order k are continuous at every kink; order k+1 jumps at one."""
    smoothness = spec.properties.smoothness
    f, bound = f_of(spec)
    kinks = spec.kink_points(bound)
    if smoothness == INF:
        assert not kinks, "a C∞ function has no kinks"
        return
    assert kinks, "a function that is not C∞ must list its kinks"
    values = spec.math_values(bound)

    def d1(t):
        return autograd_slope(spec, t)

    def d2(t):
        return spec.second_derivative(t, **values)

    # order -1 is f itself; order 0 f', order 1 f''.
    derivatives = [(-1, f, 1e-4), (0, d1, 1e-4), (1, d2, 1e-4)]
    for order, fn, scale in derivatives:
        jumps = [_jumps(fn, k, 1e-7, scale) for k in kinks]
        if order < smoothness:
            assert not any(jumps), f"derivative of order {order + 1} jumps at {kinks}"
        elif order == smoothness:
            assert any(jumps), f"{spec.name} is smoother than C{smoothness}"
            return


def _variance_map(f, kinks, variance: float) -> tuple[float, float]:
    """Mean and second moment of f(√v z): one lecun-normal layer with Σw = 0, Σw² = 1."""
    scaled = lambda t: f(t * math.sqrt(variance))  # noqa: E731
    scaled_kinks = [k / math.sqrt(variance) for k in kinks]
    return (gaussian_moment(scaled, scaled_kinks),
            gaussian_moment(scaled, scaled_kinks, power=2))


@pytest.mark.parametrize("spec", ELEMENTWISE)
def test_self_normalising_claim(spec):
    """(mean 0, variance 1) is an attracting fixed point of the moment map (Klambauer 2017)."""
    f, bound = f_of(spec)
    kinks = spec.kink_points(bound)
    mean, second = _variance_map(f, kinks, 1.0)
    fixed_point = abs(mean) < 1e-3 and abs(second - 1) < 1e-3
    h = 1e-3
    slope = (_variance_map(f, kinks, 1 + h)[1] - _variance_map(f, kinks, 1 - h)[1]) / (2 * h)
    attracting = abs(slope) < 1 - 1e-3
    assert spec.properties.self_normalising == (fixed_point and attracting), (mean, second,
                                                                             slope)


VECTOR = [pytest.param(s, id=s.name) for s in SPECS if s.kind == "vector"]


@pytest.mark.parametrize("spec", VECTOR)
@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.floats(-30, 30), min_size=6, max_size=6))
def test_vector_outputs_lie_in_the_claimed_range(spec, values):
    bound = spec.bind(fill_examples=True)
    x = torch.tensor(values, dtype=F64).reshape(1, 6, 1, 1) if spec.name == "softmax2d" \
        else torch.tensor([values], dtype=F64)
    y = spec.forward(x, **spec.math_values(bound))
    lo, hi = spec.properties.output_range
    assert bool((y >= lo - 1e-12).all()) and bool((y <= hi + 1e-12).all())
    assert np.isfinite(y.numpy()).all()
