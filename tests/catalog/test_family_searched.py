"""Ramachandran, Zoph & Le's searched functions against the paper's formulas evaluated in
50-digit arithmetic (mpmath), written independently of the catalog's rewrites."""

from __future__ import annotations

import mpmath as mp
import pytest
import torch

import actlab
from actlab.catalog import registry

F64 = torch.float64
mp.mp.dps = 50


def _sig(x):
    return 1 / (1 + mp.exp(-x))


def _sinc(x):
    return mp.sin(x) / x if x != 0 else mp.mpf(1)


#: Table 1 of the paper, as printed there (tan⁻¹ and sinh⁻¹ are the inverse functions).
PAPER = {
    "max_sigmoid": lambda x: max(x, _sig(x)),
    "cos_minus_x": lambda x: mp.cos(x) - x,
    "min_sin": lambda x: min(x, mp.sin(x)),
    "atan_squared_minus_x": lambda x: mp.atan(x) ** 2 - x,
    "max_tanh": lambda x: max(x, mp.tanh(x)),
    "sinc_plus_x": lambda x: _sinc(x) + x,
    "x_asinh_squared": lambda x: x * mp.asinh(x) ** 2,
}

POINTS = [-700.0, -80.0, -30.0, -7.5, -3.0, -1.3, -0.5, -0.05, -1e-3, -1e-30, 0.0, 1e-30,
          2e-3, 0.09, 0.11, 0.7, 2.0, 4.5, 19.0, 35.0, 200.0, 1e4]


def _close(got: float, want, rel: float, abs_: float) -> bool:
    return abs(got - float(want)) <= rel * abs(float(want)) + abs_


@pytest.mark.parametrize("name", sorted(PAPER))
def test_values_and_derivatives_match_the_paper_in_high_precision(name):
    spec = registry().spec(name)
    f = PAPER[name]
    x = torch.tensor(POINTS, dtype=F64)
    y, d1, d2 = spec.forward(x), spec.derivative(x), spec.second_derivative(x)
    kinks = spec.kink_points(spec.bind())
    for i, xv in enumerate(POINTS):
        xm = mp.mpf(xv)
        # The slack for f is relative, with an absolute floor of a few ulps of |x| where
        # f = O(1) terms cancel against x (cos x − x, sinc x + x).
        assert _close(float(y[i]), f(xm), 1e-13, 1e-300), (name, xv, float(y[i]))
        if any(abs(xv - k) < 1e-2 for k in kinks):
            continue
        want1, want2 = mp.diff(f, xm), mp.diff(f, xm, 2)
        assert _close(float(d1[i]), want1, 1e-11, 1e-15), (name, xv, float(d1[i]), want1)
        assert _close(float(d2[i]), want2, 1e-10, 1e-14), (name, xv, float(d2[i]), want2)


def test_the_max_sigmoid_kink_is_the_fixed_point_of_the_sigmoid():
    spec = registry().spec("max_sigmoid")
    (kink,) = spec.kink_points(spec.bind())
    c = mp.findroot(lambda t: t - _sig(t), 0.6)
    assert kink == pytest.approx(float(c), rel=1e-15)
    # Left of the kink the slope is σ'(c) = c(1 − c); at and right of it, the identity's 1.
    x = torch.tensor([kink - 1e-9, kink, kink + 1e-9], dtype=F64)
    slopes = spec.derivative(x).tolist()
    assert slopes[0] == pytest.approx(float(c * (1 - c)), rel=1e-7)
    assert slopes[1:] == [1.0, 1.0]


@pytest.mark.parametrize("name", ["min_sin", "max_tanh"])
def test_pieces_meet_with_equal_first_and_second_derivatives_at_zero(name):
    """C²: the switch between the pieces at 0 is invisible to f' and f''."""
    spec = registry().spec(name)
    h = 1e-6
    x = torch.tensor([-h, h], dtype=F64)
    d1, d2 = spec.derivative(x), spec.second_derivative(x)
    assert float(d1[1] - d1[0]) == pytest.approx(0.0, abs=1e-11)
    assert float(d2[1] - d2[0]) == pytest.approx(0.0, abs=1e-5)
    assert spec.properties.smoothness == 2


def test_the_decreasing_functions_decrease_everywhere():
    x = torch.linspace(-50, 50, 20001, dtype=F64)
    for name in ("cos_minus_x", "atan_squared_minus_x"):
        slope = actlab.spec(name).derivative(x)
        assert bool((slope <= 1e-15).all()), name
    # The largest slope of (tan⁻¹ x)² − x, at the root of 1 − 2x·tan⁻¹ x = 0.
    x0 = mp.findroot(lambda t: 1 - 2 * t * mp.atan(t), 0.7)
    top = 2 * mp.atan(x0) / (1 + x0 * x0) - 1
    spec = actlab.spec("atan_squared_minus_x")
    at_top = spec.derivative(torch.tensor([float(x0)], dtype=F64))
    assert float(at_top) == pytest.approx(float(top), rel=1e-14)
    assert float(spec.derivative(x).max()) <= float(top) + 1e-15


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_huge_inputs_stay_finite_in_low_precision(dtype):
    """|x| up to 1e30: no intermediate (x², 1 + x², e^x) overflows into a spurious inf/nan."""
    x = torch.tensor([-1e30, -1e20, -1e10, 1e10, 1e20, 1e30], dtype=dtype)
    for name in PAPER:
        xr = x.clone().requires_grad_(True)
        y = actlab.get(name)(xr)
        (g,) = torch.autograd.grad(y.sum(), xr)
        ref = PAPER[name]
        for i, xv in enumerate(x.tolist()):
            want = float(ref(mp.mpf(xv)))
            if abs(want) < torch.finfo(dtype).max:
                assert torch.isfinite(y[i]), (name, xv, float(y[i]))
            assert torch.isfinite(g[i]), (name, xv, float(g[i]))
