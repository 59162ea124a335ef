"""Mean-field maps, fixed points, χ₁, depth scales and the critical line, against references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mean_field_reference import (
    erf_pair_expectation,
    erf_prime,
    fixed_point,
    normal_expectation,
    relu_pair_expectation,
    tanh,
    tanh_prime,
)
from scipy import optimize

from actlab.analysis import (
    DivergentExpectationError,
    NotElementwiseError,
    TheoryOptionError,
    chi_1,
    correlation_fixed_point,
    correlation_map,
    critical_sigma_w2,
    mean_field_point,
    ordered_edges,
    variance_fixed_point,
    variance_map,
)
from actlab.analysis.mean_field import classify_phase, depth_scale, variance_fixed_points


# -- ReLU: every quantity in closed form ------------------------------------------------------
@pytest.mark.parametrize(("sw", "sb"), [(1.0, 0.1), (1.5, 0.3), (1.9, 0.05)])
def test_relu_fixed_point_and_chi(sw, sb):
    # q = σ_w² q/2 + σ_b²  ⇒  q* = σ_b²/(1 − σ_w²/2); χ₁ = σ_w²/2 at every q.
    fixed = variance_fixed_points("relu", sw, sb)
    assert fixed.q_star[0] == pytest.approx(sb / (1 - sw / 2), rel=1e-12)
    assert fixed.chi_1[0] == pytest.approx(sw / 2, rel=1e-12)
    assert fixed.slope[0] == pytest.approx(sw / 2, rel=1e-10)
    point = mean_field_point("relu", sw, sb)
    assert point.phase == "ordered"
    assert point.c_star == 1.0 and point.chi_c == pytest.approx(sw / 2, rel=1e-12)
    assert point.xi_c == pytest.approx(-1 / math.log(sw / 2), rel=1e-10)


def test_relu_variance_map_and_unbounded_growth():
    np.testing.assert_allclose(variance_map("relu", [0.5, 2.0, 7.0], 1.3, 0.2),
                               1.3 * np.array([0.5, 2.0, 7.0]) / 2 + 0.2, rtol=1e-13)
    assert math.isinf(variance_fixed_point("relu", 2.5, 0.1))
    assert mean_field_point("relu", 2.5, 0.1).phase == "unbounded"
    # σ_w² = 2, σ_b² = 0 maps every q to itself: iteration from q⁰ = 1 stays there.
    assert variance_fixed_point("relu", 2.0, 0.0) == pytest.approx(1.0, rel=1e-13)
    assert chi_1("relu", 2.0, 0.0) == pytest.approx(1.0, rel=1e-13)


@pytest.mark.parametrize("c", (-0.5, 0.0, 0.4, 0.95))
def test_relu_correlation_map_is_arc_cosine(c):
    sw, sb, q = 1.6, 0.2, 0.9
    expected = (sw * relu_pair_expectation(q, c) + sb) / (sw * q / 2 + sb)
    assert correlation_map("relu", c, q, sw, sb) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("sb", (0.0, 0.05, 0.5))
def test_relu_critical_line_is_sigma_w2_two(sb):
    assert critical_sigma_w2("relu", sb) == pytest.approx(2.0, rel=1e-9)


# -- tanh: the known critical points ----------------------------------------------------------
def _tanh_reference_chi(sw: float, sb: float) -> float:
    q = fixed_point(lambda q: sw * normal_expectation(lambda x: tanh(x) ** 2, q) + sb)
    return sw * normal_expectation(lambda x: tanh_prime(x) ** 2, q)


def test_tanh_critical_point_without_bias_is_one():
    # Poole et al. 2016: for σ_b² = 0 the transition is at σ_w² = 1 (χ₁ = σ_w² tanh′(0)²).
    assert critical_sigma_w2("tanh", 0.0) == pytest.approx(1.0, abs=1e-9)
    assert mean_field_point("tanh", 0.8, 0.0).phase == "ordered"
    assert mean_field_point("tanh", 1.5, 0.0).phase == "chaotic"


def test_tanh_critical_point_with_bias_matches_paper_and_scipy():
    # Schoenholz et al. 2017 (and Poole et al.'s phase diagram): σ_b² = 0.05 → σ_w² ≈ 1.76.
    ours = critical_sigma_w2("tanh", 0.05)
    assert ours == pytest.approx(1.76, abs=0.005)
    reference = optimize.brentq(lambda sw: _tanh_reference_chi(sw, 0.05) - 1, 1.5, 2.0,
                                xtol=1e-10)
    assert ours == pytest.approx(reference, rel=1e-7)


@pytest.mark.parametrize(("sw", "sb"), [(1.2, 0.05), (2.5, 0.3), (0.7, 0.1)])
def test_tanh_fixed_point_and_chi_match_scipy(sw, sb):
    q_ref = fixed_point(lambda q: sw * normal_expectation(lambda x: tanh(x) ** 2, q) + sb)
    fixed = variance_fixed_points("tanh", sw, sb)
    assert fixed.q_star[0] == pytest.approx(q_ref, rel=1e-10)
    assert fixed.chi_1[0] == pytest.approx(
        sw * normal_expectation(lambda x: tanh_prime(x) ** 2, q_ref), rel=1e-9)


# -- erf: the whole mean-field point in closed form (Williams 1997) ---------------------------
@pytest.mark.parametrize(("sw", "sb"), [(3.0, 0.1), (1.2, 0.2), (6.0, 0.05)])
def test_erf_mean_field_point_in_closed_form(sw, sb):
    def f(q):
        return sw * erf_pair_expectation(q, q, q) + sb

    q = fixed_point(f)
    chi1 = sw * 4 / math.pi / math.sqrt(1 + 4 * q)
    h = 1e-6
    slope = (f(q + h) - f(q - h)) / (2 * h)

    def c_map(c):
        return (sw * erf_pair_expectation(q, q, c * q) + sb) / q

    point = mean_field_point("erf", sw, sb)
    assert point.q_star == pytest.approx(q, rel=1e-10)
    assert point.chi_1 == pytest.approx(chi1, rel=1e-10)
    assert point.chi_q == pytest.approx(slope, rel=1e-7)
    assert point.xi_q == pytest.approx(-1 / math.log(slope), rel=1e-6)
    if chi1 < 1:
        assert point.phase == "ordered" and point.c_star == 1.0
        assert point.xi_c == pytest.approx(-1 / math.log(chi1), rel=1e-9)
    else:
        assert point.phase == "chaotic"
        c_star = optimize.brentq(lambda c: c_map(c) - c, 0.0, 1 - 1e-6, xtol=1e-14)
        # χ_c = dC/dc at c*: σ_w²/q · (2/π) · k/√(1 − (k c*)²), k = 2q/(1 + 2q).
        k = 2 * q / (1 + 2 * q)
        chi_c = sw / q * 2 / math.pi * k / math.sqrt(1 - (k * c_star) ** 2)
        assert point.c_star == pytest.approx(c_star, abs=1e-10)
        assert point.chi_c == pytest.approx(chi_c, rel=1e-8)
        assert point.xi_c == pytest.approx(-1 / math.log(chi_c), rel=1e-7)
    # χ₁ for erf written with its own derivative, by quadrature.
    assert point.chi_1 == pytest.approx(
        sw * normal_expectation(lambda x: erf_prime(x) ** 2, q), rel=1e-9)


def test_correlation_fixed_point_in_chaotic_tanh_without_bias_is_zero():
    # An odd φ with σ_b² = 0 maps c = 0 to 0; in the chaotic phase that fixed point attracts.
    fp = correlation_fixed_point("tanh", 2.0, 0.0)
    assert fp.c_star == pytest.approx(0.0, abs=1e-12)
    q = variance_fixed_point("tanh", 2.0, 0.0)
    # χ_c at c = 0 is σ_w² E[φ′(u)]² (independent inputs).
    mean_slope = normal_expectation(tanh_prime, q)
    assert fp.chi_c == pytest.approx(2.0 * mean_slope**2, rel=1e-9)


def test_depth_scale_and_phases():
    assert depth_scale(math.exp(-0.25)) == pytest.approx(4.0, rel=1e-12)
    assert depth_scale(1.0) == math.inf
    assert depth_scale(0.0) == 0.0
    assert classify_phase(0.5, 1.0) == "ordered"
    assert classify_phase(1.0005, 1.0) == "critical"
    assert classify_phase(1.2, 1.0) == "chaotic"
    assert classify_phase(1.2, math.inf) == "unbounded"


def test_ordered_edges_for_gelu_are_not_an_order_to_chaos_line():
    # At σ_b² = 0 GELU's ordered phase ends where q* jumps from 0 to ∞, with χ₁ = σ_w²/4 < 1.
    edges = ordered_edges("gelu", [0.0])
    assert not edges.critical[0]
    assert edges.chi_1[0] == pytest.approx(edges.sigma_w2[0] / 4, rel=1e-6)
    assert critical_sigma_w2("gelu", 0.0) is None


def test_binary_step_has_no_transition():
    # φ′ = 0 almost everywhere: χ₁ = 0 for every σ_w².
    assert critical_sigma_w2("binary_step", 0.0) is None
    assert chi_1("binary_step", 3.0, 0.1) == 0.0


def test_exponential_variance_explodes_instead_of_failing():
    point = mean_field_point("exponential", 1.0, 0.0)
    assert point.phase == "unbounded" and math.isinf(point.q_star)
    # A small σ_w² has a finite fixed point: q = 0.1 e^{2q}.
    q = optimize.brentq(lambda q: 0.1 * math.exp(2 * q) - q, 0.0, 0.5)
    assert variance_fixed_point("exponential", 0.1, 0.0) == pytest.approx(q, rel=1e-10)


def test_errors():
    with pytest.raises(TheoryOptionError, match="σ_w²"):
        variance_fixed_point("tanh", 0.0, 0.0)
    with pytest.raises(TheoryOptionError, match="σ_b²"):
        variance_fixed_point("tanh", 1.0, -0.1)
    with pytest.raises(NotElementwiseError):
        mean_field_point("softmax", 1.0, 0.0)
    with pytest.raises(DivergentExpectationError):
        # E[e^{2x²/10⁴}] diverges for q ≥ 2500: an iteration that starts there cannot begin.
        variance_fixed_points("exp(x*x/10000)", 1.0, 0.0, q0=5000.0)
