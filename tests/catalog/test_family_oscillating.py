"""Noel et al.'s oscillating units against the papers' formulas in 50-digit arithmetic
(mpmath), and against closed forms that the catalog does not use."""

from __future__ import annotations

import math

import mpmath as mp
import pytest
import torch

import actlab
from actlab.catalog import registry
from actlab.catalog.families.oscillating import sinc, sinc_prime, sinc_second

F64 = torch.float64
mp.mp.dps = 50


def _sinc(u):
    return mp.sin(u) / u if u != 0 else mp.mpf(1)


PAPER = {
    "gcu": lambda x: x * mp.cos(x),
    "squ": lambda x: x * x + x,
    "ncu": lambda x: x - x ** 3,
    "dsu": lambda x: mp.pi / 2 * (_sinc(x - mp.pi) - _sinc(x + mp.pi)),
    "ssu": lambda x: mp.pi * _sinc(x - mp.pi),
}

POINTS = [-700.0, -80.0, -30.0, -7.5, -math.pi - 1e-9, -3.0, -1.3, -1.0, -0.5, -1e-3, -1e-30,
          0.0, 2e-3, 0.7, 2.0, math.pi, math.pi + 0.05, 4.5, 19.0, 35.0, 200.0, 1e4]


def _close(got: float, want, rel: float, abs_: float) -> bool:
    return abs(got - float(want)) <= rel * abs(float(want)) + abs_


@pytest.mark.parametrize("name", sorted(PAPER))
def test_values_and_derivatives_match_the_paper_in_high_precision(name):
    spec = registry().spec(name)
    f = PAPER[name]
    x = torch.tensor(POINTS, dtype=F64)
    y, d1, d2 = spec.forward(x), spec.derivative(x), spec.second_derivative(x)
    for i, xv in enumerate(POINTS):
        xm = mp.mpf(xv)
        # Absolute slack of a few ulps of the terms that cancel near a zero of f: x·cos x
        # near (k + ½)π, and the two sincs of DSU, which are O(1/|x|) each.
        scale = 1e-15 * max(1.0, abs(xv))
        assert _close(float(y[i]), f(xm), 1e-13, scale), (name, xv, float(y[i]), f(xm))
        want1, want2 = mp.diff(f, xm), mp.diff(f, xm, 2)
        assert _close(float(d1[i]), want1, 1e-11, 10 * scale), (name, xv, float(d1[i]), want1)
        assert _close(float(d2[i]), want2, 1e-10, 100 * scale), (name, xv, float(d2[i]), want2)


def test_sinc_and_its_derivatives_across_the_switch_to_the_series():
    """Either side of |u| = 1, and at 0, to double precision."""
    us = [0.0, 1e-8, 0.1, -0.5, -0.9999999, 0.9999999, 1.0, -1.0000001, 1.7, 30.0, 1e3]
    u = torch.tensor(us, dtype=F64)
    for fn, order in ((sinc, 0), (sinc_prime, 1), (sinc_second, 2)):
        got = fn(u).tolist()
        for g, uv in zip(got, us):
            want = mp.diff(_sinc, mp.mpf(uv), order) if order else _sinc(mp.mpf(uv))
            assert _close(g, want, 2e-14, 1e-17), (order, uv, g, want)


def test_dsu_is_the_closed_form_of_the_paper():
    """π/2·(sinc(x − π) − sinc(x + π)) = π² sin x/(π² − x²), and π/2 at x = π."""
    xs = [-9.0, -4.0, -2.0, -0.3, 0.5, 1.0, 2.5, 5.0, 12.0]
    got = actlab.spec("dsu").forward(torch.tensor(xs, dtype=F64)).tolist()
    for g, xv in zip(got, xs):
        assert g == pytest.approx(math.pi ** 2 * math.sin(xv) / (math.pi ** 2 - xv * xv),
                                  rel=1e-13)
    at_pi = actlab.spec("dsu").forward(torch.tensor([math.pi, -math.pi], dtype=F64))
    torch.testing.assert_close(at_pi, torch.tensor([math.pi / 2, -math.pi / 2], dtype=F64),
                               rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", ["gcu", "squ", "ncu", "dsu", "ssu"])
def test_every_unit_has_several_zeros(name):
    """The point of the paper: more than one zero, so one neuron can separate XOR."""
    spec = registry().spec(name)
    x = torch.linspace(-10, 10, 200001, dtype=F64)
    y = spec.forward(x)
    crossings = int(((y[1:] * y[:-1]) < 0).sum()) + int((y == 0).sum())
    assert crossings >= 2, name


def test_the_claimed_extremes_are_attained_where_the_derivative_vanishes():
    for name, x0 in (("dsu", 2.63), ("ssu", math.pi + 4.49), ("ssu", math.pi - 4.49)):
        f = PAPER[name]
        root = mp.findroot(lambda t, f=f: mp.diff(f, t), x0)
        lo, hi = registry().spec(name).properties.output_range
        assert float(f(root)) in (pytest.approx(lo, rel=1e-14), pytest.approx(hi, rel=1e-14))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_huge_inputs_stay_finite_in_low_precision(dtype):
    """|x| up to 1e30 gives finite values and slopes wherever the true ones fit the dtype."""
    x = torch.tensor([-1e30, -1e10, 1e10, 1e30], dtype=dtype)
    for name in PAPER:
        xr = x.clone().requires_grad_(True)
        y = actlab.get(name)(xr)
        (g,) = torch.autograd.grad(y.sum(), xr)
        f = PAPER[name]
        for i, xv in enumerate(x.tolist()):
            top = torch.finfo(dtype).max
            if abs(float(f(mp.mpf(xv)))) < top:
                assert torch.isfinite(y[i]), (name, xv)
            if abs(float(mp.diff(f, mp.mpf(xv)))) < top:
                assert torch.isfinite(g[i]), (name, xv)
