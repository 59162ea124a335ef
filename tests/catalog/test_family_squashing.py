"""The squashing additions against their papers' formulas in 50-digit arithmetic (mpmath),
SciPy's normal distribution, and the closed-form facts each paper states."""

from __future__ import annotations

import math

import mpmath as mp
import pytest
import torch
from scipy import stats

import actlab
from actlab.catalog import registry
from actlab.errors import ParameterError
from support.high_precision import check_against_paper

F64 = torch.float64
mp.mp.dps = 50


def _srs(x, a=5, b=3):
    return x / (x / a + mp.exp(-x / b))


def _smooth_step(x, g=1):
    if x <= -g / 2:
        return mp.mpf(0)
    if x >= g / 2:
        return mp.mpf(1)
    return -2 * x ** 3 / mp.mpf(g) ** 3 + 3 * x / (2 * mp.mpf(g)) + mp.mpf(1) / 2


PAPER = {
    "elliott": lambda x: x / (2 * (1 + abs(x))) + mp.mpf(1) / 2,
    "scaled_tanh": lambda x: mp.mpf("1.7159") * mp.tanh(2 * x / 3),
    "probit": lambda x: mp.ncdf(x),
    "loglog": lambda x: mp.exp(-mp.exp(-x)),
    "cloglog": lambda x: 1 - mp.exp(-mp.exp(x)),
    "soft_root_sign": _srs,
    "smooth_step": _smooth_step,
}

POINTS = [-700.0, -80.0, -30.0, -7.5, -3.0, -1.3, -0.5, -0.25, -1e-3, -1e-30, 0.0, 2e-3,
          0.3, 0.7, 2.0, 4.5, 19.0, 35.0, 200.0, 1e4]


def _cloglog_far_right(xv: float, y: float, d1: float, d2: float) -> bool:
    """exp(−eˣ) < 1e-1e17 beyond x = 40: f is exactly 1 and its slopes exactly 0 in float64
    (and mpmath would need eˣ digits to say so)."""
    if xv <= 40:
        return False
    assert (y, d1, d2) == (1.0, 0.0, 0.0)
    return True


@pytest.mark.parametrize("name", sorted(PAPER))
def test_values_and_derivatives_match_the_paper_in_high_precision(name):
    """Relative accuracy everywhere, tails included (1e-300 of absolute slack only). 5e-13
    for values: torch's erfc (probit) is good to a few 1e-13 relative in the far left tail."""
    check_against_paper(registry().spec(name), PAPER[name], POINTS, value_rtol=5e-13,
                        special=_cloglog_far_right if name == "cloglog" else None)


def test_probit_is_scipys_normal_cdf():
    x = torch.linspace(-37, 8, 901, dtype=F64)
    torch.testing.assert_close(actlab.functional.probit(x),
                               torch.from_numpy(stats.norm.cdf(x.numpy())), rtol=5e-13, atol=0)
    torch.testing.assert_close(registry().spec("probit").derivative(x),
                               torch.from_numpy(stats.norm.pdf(x.numpy())), rtol=5e-13, atol=0)


def test_log_log_and_its_complement_are_mirror_images():
    x = torch.linspace(-30, 30, 601, dtype=F64)
    # 1 − loglog(−x) cancels where it is small: a few ulps of 1 of absolute slack.
    torch.testing.assert_close(actlab.functional.cloglog(x), 1 - actlab.functional.loglog(-x),
                               rtol=1e-15, atol=5e-16)


def test_lecuns_constants_map_plus_minus_one_to_themselves():
    """Efficient BackProp §4.4: f(±1) = ±1 with A = 1.7159, S = 2/3 (to 5 digits)."""
    y = actlab.functional.scaled_tanh(torch.tensor([-1.0, 1.0], dtype=F64))
    torch.testing.assert_close(y, torch.tensor([-1.0, 1.0], dtype=F64), rtol=0, atol=5e-5)
    # ... and |f''| peaks near there, at x = 1.5·atanh(1/√3) = 0.988 ("at ±1" in the paper).
    spec = registry().spec("scaled_tanh")
    x = torch.linspace(0, 3, 30001, dtype=F64)
    x_top = float(x[spec.second_derivative(x, 1.7159, 2 / 3).abs().argmax()])
    assert x_top == pytest.approx(1.5 * math.atanh(1 / math.sqrt(3)), abs=1e-4)
    assert x_top == pytest.approx(1.0, abs=0.02)


def test_elliott_is_a_shifted_and_halved_softsign():
    x = torch.linspace(-50, 50, 1001, dtype=F64)
    torch.testing.assert_close(actlab.functional.elliott(x),
                               torch.nn.functional.softsign(x) / 2 + 0.5, rtol=1e-15, atol=1e-16)


@pytest.mark.parametrize(("alpha", "beta"), [(5.0, 3.0), (2.0, 3.0), (1.0, 0.5)])
def test_soft_root_sign_has_its_minimum_at_minus_beta(alpha, beta):
    """The paper's range [αβ/(β − αe), α): f'(−β) = 0 and f(−β) = αβ/(β − αe)."""
    x = torch.tensor([-beta], dtype=F64)
    spec = registry().spec("soft_root_sign")
    assert float(spec.forward(x, alpha, beta)) == pytest.approx(
        alpha * beta / (beta - alpha * math.e), rel=1e-14)
    assert float(spec.derivative(x, alpha, beta)) == pytest.approx(0.0, abs=1e-16)
    top = spec.forward(torch.tensor([1e6, math.inf], dtype=F64), alpha, beta)
    torch.testing.assert_close(top, torch.tensor([alpha, alpha], dtype=F64), rtol=1e-5, atol=0)


def test_soft_root_sign_refuses_parameters_that_give_a_pole():
    with pytest.raises(ParameterError, match="below e·alpha"):
        actlab.get("soft_root_sign", alpha=1.0, beta=3.0)


def test_smooth_step_is_exactly_flat_outside_its_transition():
    x = torch.tensor([-5.0, -0.5, -0.25, 0.0, 0.25, 0.5, 5.0], dtype=F64, requires_grad=True)
    y = actlab.get("smooth_step")(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert y.tolist() == [0.0, 0.0, 0.15625, 0.5, 0.84375, 1.0, 1.0]
    assert g.tolist() == [0.0, 0.0, 1.125, 1.5, 1.125, 0.0, 0.0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_huge_inputs_stay_finite_in_low_precision(dtype):
    x = torch.tensor([-1e30, -1e10, -100.0, 100.0, 1e10, 1e30], dtype=dtype)
    for name in PAPER:
        xr = x.clone().requires_grad_(True)
        y = actlab.get(name)(xr)
        (g,) = torch.autograd.grad(y.sum(), xr)
        assert bool(torch.isfinite(y).all()) and bool(torch.isfinite(g).all()), name
        assert bool((y >= -2).all()) and bool((y <= 5).all()), name
