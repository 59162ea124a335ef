"""The added rectifiers and ELU-like units against their papers' formulas in 50-digit
arithmetic (mpmath), PyTorch's own ops, and the properties each paper derives."""

from __future__ import annotations

import math

import mpmath as mp
import pytest
import torch
import torch.nn.functional as F
from scipy import integrate

import actlab
from actlab.catalog import registry
from support.high_precision import check_against_paper

F64 = torch.float64
mp.mp.dps = 50


def _sig(x):
    return 1 / (1 + mp.exp(-x))


def _pdelu(x):
    return x if x > 0 else (max(1 + x / 10, 0)) ** 10 - 1


def _serlu(x):
    lam, alpha = mp.mpf("1.07862"), mp.mpf("2.90427")
    return lam * x if x >= 0 else lam * alpha * x * mp.exp(x)


#: The papers' definitions at the canonical parameters .
PAPER = {
    "star_relu": lambda x: mp.mpf("0.8944") * max(x, 0) ** 2 - mp.mpf("0.4472"),
    "flatten_t_swish": lambda x: x * _sig(x) - mp.mpf("0.2") if x >= 0 else -mp.mpf("0.2"),
    "isrlu": lambda x: x if x >= 0 else x / mp.sqrt(1 + x * x),
    "serlu": _serlu,
    "pdelu": _pdelu,
    "shifted_softplus": lambda x: mp.log1p(mp.exp(x)) - mp.log(2),
    # Zhao et al.'s αx / β·ln(eˣ + 1) − γ with α = 1, β = 2, γ = 2 ln 2.
    "slu": lambda x: x if x >= 0 else 2 * mp.log1p(mp.exp(x)) - 2 * mp.log(2),
}

POINTS = [-700.0, -80.0, -30.0, -12.0, -7.5, -3.0, -1.3, -0.5, -1e-3, -1e-30, 0.0, 1e-30,
          2e-3, 0.6, 2.0, 4.5, 19.0, 35.0, 200.0, 1e4]


@pytest.mark.parametrize("name", sorted(PAPER))
def test_values_and_derivatives_match_the_paper_in_high_precision(name):
    spec = registry().spec(name)
    check_against_paper(spec, PAPER[name], POINTS, value_rtol=1e-13,
                        bound=spec.bind(fill_examples=True))


def test_star_relu_standardises_a_normal_input():
    """E relu(z)² = 1/2, E relu(z)⁴ = 3/2: s = 1/√(5/4), b = −s/2 give mean 0, variance 1."""
    s, b = 1 / math.sqrt(1.25), -0.5 / math.sqrt(1.25)
    assert (0.8944, -0.4472) == (round(s, 4), round(b, 4))

    def moment(k):
        def integrand(z):
            y = float(actlab.functional.star_relu(torch.tensor([z], dtype=F64), s, b))
            return y ** k * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        return sum(integrate.quad(integrand, lo, hi, epsabs=1e-13)[0]
                   for lo, hi in ((-40, 0), (0, 40)))

    assert moment(1) == pytest.approx(0.0, abs=1e-12)
    assert moment(2) == pytest.approx(1.0, rel=1e-10)


def test_isrlus_negative_part_is_the_isru():
    x = torch.linspace(-50, 0, 501, dtype=F64)
    for alpha in (0.3, 1.0, 4.0):
        torch.testing.assert_close(actlab.functional.isrlu(x, alpha),
                                   actlab.functional.isru(x, alpha), rtol=0, atol=0)


def test_serlu_is_self_normalising():
    """The fixed point of Zhang & Li: N(0, 1) in, mean 0 and variance 1 out (to the 6
    digits of the published λ, α)."""
    def moment(k):
        def integrand(z):
            y = float(actlab.functional.serlu(torch.tensor([z], dtype=F64)))
            return y ** k * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        return sum(integrate.quad(integrand, lo, hi, epsabs=1e-13)[0]
                   for lo, hi in ((-40, 0), (0, 40)))

    assert moment(1) == pytest.approx(0.0, abs=2e-5)
    assert moment(2) == pytest.approx(1.0, abs=2e-5)
    low = registry().spec("serlu").properties.output_range[0]
    assert float(actlab.functional.serlu(torch.tensor([-1.0], dtype=F64))) == low


def test_pdelu_is_a_power_that_becomes_elu_as_t_tends_to_one():
    x = torch.linspace(-30, 5, 701, dtype=F64)
    expected = torch.where(x > 0, x, torch.clamp(1 + x / 10, min=0) ** 10 - 1)
    torch.testing.assert_close(actlab.functional.pdelu(x), expected, rtol=1e-13, atol=1e-15)
    near_elu = actlab.functional.pdelu(x, alpha=1.0, t=1 - 1e-7)
    torch.testing.assert_close(near_elu, F.elu(x), rtol=0, atol=1e-5)


def test_slu_is_continuous_and_differentiable_at_zero():
    """The paper fixes β, γ by these two conditions (for α = 1)."""
    spec = registry().spec("slu")
    h = 1e-9
    x = torch.tensor([-h, 0.0, h], dtype=F64)
    y, d1 = spec.forward(x), spec.derivative(x)
    assert float(y[1]) == 0.0 and abs(float(y[0])) < 2 * h
    assert float(d1[0]) == pytest.approx(1.0, abs=1e-9) and float(d1[2]) == 1.0


def test_shifted_softplus_keeps_relative_precision_near_zero():
    for xv in (1e-300, 1e-12, -1e-8, 0.3):
        got = float(actlab.functional.shifted_softplus(torch.tensor([xv], dtype=F64)))
        want = mp.log1p(mp.exp(mp.mpf(xv))) - mp.log(2)
        assert got == pytest.approx(float(want), rel=1e-15)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_huge_inputs_stay_finite_in_low_precision(dtype):
    x = torch.tensor([-1e30, -1e10, -100.0, 100.0, 1e10, 1e30], dtype=dtype)
    for name in PAPER:
        xr = x.clone().requires_grad_(True)
        y = actlab.get(name)(xr)
        (g,) = torch.autograd.grad(y.sum(), xr)
        finite_ref = [float(PAPER[name](mp.mpf(v))) for v in x.tolist()]
        for i, ref in enumerate(finite_ref):
            if abs(ref) < torch.finfo(dtype).max:
                assert torch.isfinite(y[i]), (name, x[i].item(), y[i].item())
        assert bool(torch.isfinite(g).all()), (name, g.tolist())
