"""Serf, Pserf, ErfAct, Gish, GoLU, Phish, PFLU, SinLU and Hard ELiSH against their papers'
formulas in 50-digit arithmetic (mpmath) and against the relations between them."""

from __future__ import annotations

import mpmath as mp
import pytest
import torch
import torch.nn.functional as F

import actlab
from actlab.catalog import registry
from support.high_precision import check_against_paper

F64 = torch.float64
mp.mp.dps = 50


def _sig(x):
    return 1 / (1 + mp.exp(-x))


def _sp(x):
    return mp.log1p(mp.exp(x))


def _hard_elish(x):
    gate = max(mp.mpf(0), min(mp.mpf(1), (x + 1) / 2))
    return x * gate if x >= 0 else (mp.exp(x) - 1) * gate


#: The papers' definitions at the canonical parameters.
PAPER = {
    "serf": lambda x: x * mp.erf(_sp(x)),
    "pserf": lambda x: x * mp.erf(mp.mpf("1.25") * _sp(mp.mpf("0.85") * x)),
    "erfact": lambda x: x * mp.erf(mp.mpf("0.75") * mp.exp(mp.mpf("0.75") * x)),
    "gish": lambda x: x * mp.log(2 - mp.exp(-mp.exp(x))),
    "golu": lambda x: x * mp.exp(-mp.exp(-x)),
    "phish": lambda x: x * mp.tanh(x * mp.ncdf(x)),
    "pflu": lambda x: x * (1 + x / mp.sqrt(1 + x * x)) / 2,
    "sinlu": lambda x: (x + mp.sin(x)) * _sig(x),
    "hard_elish": _hard_elish,
}

POINTS = [-700.0, -80.0, -30.0, -7.5, -3.0, -1.3, -0.7, -0.5, -1e-3, -1e-30, 0.0, 1e-30,
          2e-3, 0.6, 2.0, 4.5, 19.0, 35.0, 200.0, 1e4]


def _gish_far_right(xv: float, y: float, d1: float, d2: float) -> bool:
    """2 − exp(−eˣ) is 2 to 1e-1e17 beyond x = 40: f = x·ln 2 and f'' = 0 exactly in float64
    (and mpmath would need eˣ digits to say so)."""
    if xv <= 40:
        return False
    assert y == pytest.approx(xv * float(mp.log(2)), rel=1e-15)
    assert (d1, d2) == (pytest.approx(float(mp.log(2))), 0.0)
    return True


@pytest.mark.parametrize("name", sorted(PAPER))
def test_values_and_derivatives_match_the_paper_in_high_precision(name):
    """Relative accuracy everywhere, deep tails included. 5e-13 for values: torch's erfc,
    inside Φ (phish), is good to a few 1e-13 in the far tail."""
    check_against_paper(registry().spec(name), PAPER[name], POINTS, value_rtol=5e-13,
                        special=_gish_far_right if name == "gish" else None)


@pytest.mark.parametrize("name", ["serf", "pserf", "erfact", "gish", "golu", "pflu", "sinlu",
                                  "hard_elish"])
def test_the_claimed_minimum_is_where_the_slope_vanishes(name):
    f = PAPER[name]
    start = {"golu": -0.6, "pflu": -0.8, "hard_elish": -0.45}.get(name, -1.3)
    root = mp.findroot(lambda t: mp.diff(f, t), start)
    low = registry().spec(name).properties.output_range[0]
    assert float(f(root)) == pytest.approx(low, rel=1e-13)


def test_serf_is_pserf_with_unit_parameters():
    x = torch.linspace(-40, 40, 801, dtype=F64)
    torch.testing.assert_close(actlab.functional.serf(x),
                               actlab.functional.pserf(x, gamma=1.0, delta=1.0), rtol=0, atol=0)


def test_golus_gate_is_the_loglog_curve():
    x = torch.linspace(-20, 20, 401, dtype=F64)
    torch.testing.assert_close(actlab.functional.golu(x), x * actlab.functional.loglog(x),
                               rtol=1e-15, atol=1e-300)


def test_sinlu_without_its_sine_is_silu():
    x = torch.linspace(-40, 40, 801, dtype=F64)
    torch.testing.assert_close(actlab.functional.sinlu(x, a=0.0, b=1.0), F.silu(x),
                               rtol=1e-15, atol=1e-300)


def test_phish_is_never_negative_and_pflu_decays_algebraically():
    x = torch.linspace(-60, 60, 24001, dtype=F64)
    assert float(actlab.functional.phish(x).min()) == 0.0
    # PFLU's negative tail is −1/(4|x|) + O(|x|⁻³): relative error 2/x² at x = −1e3.
    far = torch.tensor([-1e3, -1e6, -1e150], dtype=F64)
    torch.testing.assert_close(actlab.functional.pflu(far), -1 / (4 * far.abs()),
                               rtol=3e-6, atol=0)


def test_hard_elish_is_the_identity_above_one_and_zero_below_minus_one():
    x = torch.tensor([-1e6, -5.0, -1.0, 1.0, 7.0, 1e6], dtype=F64, requires_grad=True)
    y = actlab.get("hard_elish")(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert y.tolist() == [0.0, 0.0, 0.0, 1.0, 7.0, 1e6]
    assert g.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_huge_inputs_stay_finite_in_low_precision(dtype):
    """|x| up to 1e30: exponentials of x, x², e^{e^x} never become inf·0."""
    x = torch.tensor([-1e30, -1e10, -100.0, 100.0, 1e10, 1e30], dtype=dtype)
    for name in PAPER:
        xr = x.clone().requires_grad_(True)
        y = actlab.get(name)(xr)
        (g,) = torch.autograd.grad(y.sum(), xr)
        assert bool(torch.isfinite(y).all()), (name, y.tolist())
        assert bool(torch.isfinite(g).all()), (name, g.tolist())
        assert bool((y[:3].abs() <= 1).all()), (name, y.tolist())  # the left tail is ~0
