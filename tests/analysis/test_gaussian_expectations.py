"""Gaussian expectations of activations against closed forms, SciPy quadrature and Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from mean_field_reference import (
    REFERENCE_FUNCTIONS,
    erf_pair_expectation,
    normal_expectation,
    relu_pair_expectation,
    relu_step_pair_expectation,
)
from scipy import stats

from actlab.analysis import (
    DivergentExpectationError,
    NotElementwiseError,
    TheoryOptionError,
    correlated_moments,
    expected_derivative_square,
    expected_square,
    expected_value,
    gaussian_moments,
)

VARIANCES = (0.01, 0.3, 1.0, 3.7, 25.0, 400.0)


@pytest.mark.parametrize("q", VARIANCES)
def test_relu_closed_forms(q):
    m = gaussian_moments("relu", q)
    assert m.mean[0] == pytest.approx(math.sqrt(q / (2 * math.pi)), rel=1e-12)
    assert m.second_moment[0] == pytest.approx(q / 2, rel=1e-12)
    assert m.derivative_second_moment[0] == pytest.approx(0.5, rel=1e-12)
    # d/dq (q/2) and d/dq √(q/2π), and d/dm at m = 0: E[relu′] = 1/2, E[2 relu relu′] = 2E[relu].
    assert m.second_moment_by_variance[0] == pytest.approx(0.5, rel=1e-10)
    assert m.mean_by_variance[0] == pytest.approx(1 / (2 * math.sqrt(2 * math.pi * q)), rel=1e-10)
    assert m.mean_by_location[0] == pytest.approx(0.5, rel=1e-12)
    assert m.second_moment_by_location[0] == pytest.approx(2 * m.mean[0], rel=1e-12)


@pytest.mark.parametrize("name", sorted(REFERENCE_FUNCTIONS))
@pytest.mark.parametrize("q", (0.05, 1.0, 9.0))
def test_moments_match_scipy_quadrature(name, q):
    f, kinks = REFERENCE_FUNCTIONS[name]
    m = gaussian_moments(name, q)
    mean = normal_expectation(f, q, kinks)
    second = normal_expectation(lambda x: f(x) ** 2, q, kinks)
    scale = normal_expectation(lambda x: abs(f(x)), q, kinks)
    assert abs(m.mean[0] - mean) <= 1e-10 * scale
    assert m.second_moment[0] == pytest.approx(second, rel=1e-10)


@pytest.mark.parametrize("name", ["tanh", "gelu", "selu", "hardtanh", "mish", "softsign"])
def test_derivative_square_matches_torch_autograd_under_quadrature(name):
    # φ′ from PyTorch's autograd of its own op, integrated by SciPy.
    op = {"tanh": torch.tanh, "gelu": torch.nn.functional.gelu, "selu": torch.nn.functional.selu,
          "hardtanh": torch.nn.functional.hardtanh, "mish": torch.nn.functional.mish,
          "softsign": torch.nn.functional.softsign}[name]

    def slope(x: float) -> float:
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (grad,) = torch.autograd.grad(op(t), t)
        return grad.item()

    kinks = REFERENCE_FUNCTIONS[name][1]
    expected = normal_expectation(lambda x: slope(x) ** 2, 1.7, kinks)
    assert expected_derivative_square(name, 1.7) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("q", (0.2, 1.0, 6.0))
def test_hardtanh_second_moment_closed_form(q):
    # E[clip(x,-1,1)²] = P(|x| > 1) + E[x² 1(|x| < 1)], x ~ N(0, q): a kinked function that
    # plain Gauss–Hermite gets wrong in the 3rd digit.
    s = math.sqrt(q)
    tail = 2 * stats.norm.sf(1 / s)
    inside = q * (2 * stats.norm.cdf(1 / s) - 1) - 2 * s * stats.norm.pdf(1 / s)
    assert expected_square("hardtanh", q) == pytest.approx(tail + inside, rel=1e-12)


@pytest.mark.parametrize("q", (0.1, 1.0, 10.0))
def test_erf_second_moment_closed_form(q):
    assert expected_square("erf", q) == pytest.approx(erf_pair_expectation(q, q, q), rel=1e-12)


def test_slopes_match_finite_differences_of_quadrature():
    f = REFERENCE_FUNCTIONS["tanh"][0]
    q, m, h = 1.3, 0.4, 1e-4
    moments = gaussian_moments("tanh", q, m)

    def e(q_, m_, power):
        return normal_expectation(lambda x: f(x) ** power, q_, mean=m_)

    for power, by_v, by_m in ((1, moments.mean_by_variance, moments.mean_by_location),
                              (2, moments.second_moment_by_variance,
                               moments.second_moment_by_location)):
        dv = (e(q + h, m, power) - e(q - h, m, power)) / (2 * h)
        dm = (e(q, m + h, power) - e(q, m - h, power)) / (2 * h)
        assert by_v[0] == pytest.approx(dv, rel=1e-6)
        assert by_m[0] == pytest.approx(dm, rel=1e-6)


def test_jump_functions_use_the_density_derivative():
    # binary step: E[step(m + √v z)] = Φ(m/√v); its slopes carry the jump's Dirac mass.
    m, v = 0.3, 0.8
    moments = gaussian_moments("binary_step", v, m)
    s = math.sqrt(v)
    assert moments.mean[0] == pytest.approx(stats.norm.cdf(m / s), rel=1e-12)
    assert moments.mean_by_location[0] == pytest.approx(stats.norm.pdf(m / s) / s, rel=1e-9)
    assert moments.mean_by_variance[0] == pytest.approx(
        -m * stats.norm.pdf(m / s) / (2 * v * s), rel=1e-9)


def test_formula_activations_match_quadrature():
    # A smooth formula and a piecewise one (its kink found by the expression parser).
    quick_gelu = normal_expectation(lambda x: (x / (1 + math.exp(-1.702 * x))) ** 2, 2.0)
    assert expected_square("x*sigmoid(1.702*x)", 2.0) == pytest.approx(quick_gelu, rel=1e-10)
    elu_half = normal_expectation(lambda x: (x if x > 0 else 0.5 * math.expm1(x)) ** 2, 2.0,
                                  (0.0,))
    assert expected_square("where(x > 0, x, a*(exp(x)-1)); a=0.5", 2.0) == pytest.approx(
        elu_half, rel=1e-10)


def test_vectorised_over_variances():
    qs = np.array([0.5, 1.0, 2.0, 4.0])
    together = gaussian_moments("gelu", qs).second_moment
    alone = [expected_square("gelu", float(q)) for q in qs]
    np.testing.assert_allclose(together, alone, rtol=1e-13)
    assert expected_value("tanh", 2.0) == pytest.approx(0.0, abs=1e-15)


def test_monte_carlo_agrees_within_its_standard_error():
    generator = torch.Generator().manual_seed(1234)
    z = torch.randn(2_000_000, generator=generator, dtype=torch.float64)
    for name, op in (("mish", torch.nn.functional.mish), ("gelu", torch.nn.functional.gelu),
                     ("silu", torch.nn.functional.silu)):
        samples = op(math.sqrt(2.5) * z) ** 2
        error = samples.std().item() / math.sqrt(samples.numel())
        assert abs(expected_square(name, 2.5) - samples.mean().item()) < 4 * error


# -- correlated pairs --------------------------------------------------------------------
@pytest.mark.parametrize("c", (-0.95, -0.3, 0.0, 0.5, 0.9, 0.99, 0.99999, 1.0))
def test_relu_pair_is_the_arc_cosine_kernel(c):
    q = 1.7
    pair = correlated_moments("relu", q, q, c)
    assert pair.product == pytest.approx(relu_pair_expectation(q, c), rel=1e-10)
    assert pair.derivative_product == pytest.approx(relu_step_pair_expectation(c), rel=1e-10)


@pytest.mark.parametrize(("q1", "q2", "c"), [(1.0, 1.0, 0.3), (1.3, 0.7, -0.5),
                                             (0.2, 5.0, 0.9), (2.0, 2.0, 0.999)])
def test_erf_pair_is_williams_closed_form(q1, q2, c):
    pair = correlated_moments("erf", q1, q2, c)
    expected = erf_pair_expectation(q1, q2, c * math.sqrt(q1 * q2))
    assert pair.product == pytest.approx(expected, rel=1e-10)
    # E[erf′ erf′] = (4/π) E[e^{-u₁²-u₂²}] = (4/π)/√det(I + 2Σ).
    det = (1 + 2 * q1) * (1 + 2 * q2) - 4 * c * c * q1 * q2
    assert pair.derivative_product == pytest.approx(4 / math.pi / math.sqrt(det), rel=1e-10)


@pytest.mark.parametrize("name", ["tanh", "gelu", "mish", "selu"])
def test_pairs_match_monte_carlo(name):
    op = {"tanh": torch.tanh, "gelu": torch.nn.functional.gelu, "mish": torch.nn.functional.mish,
          "selu": torch.nn.functional.selu}[name]
    q, c = 1.4, 0.6
    generator = torch.Generator().manual_seed(99)
    z = torch.randn(2, 1_000_000, generator=generator, dtype=torch.float64)
    u1 = math.sqrt(q) * z[0]
    u2 = math.sqrt(q) * (c * z[0] + math.sqrt(1 - c * c) * z[1])
    samples = op(u1) * op(u2)
    error = samples.std().item() / math.sqrt(samples.numel())
    assert abs(correlated_moments(name, q, q, c).product - samples.mean().item()) < 4 * error


# -- errors --------------------------------------------------------------------------------
def test_divergent_expectations_are_reported():
    # E[e^{2x²/10⁴}] = 1/√(1 − 4q/10⁴) is finite below q = 2500 and infinite above.
    formula = "exp(x*x/10000)"
    assert expected_square(formula, 1.0) == pytest.approx(1 / math.sqrt(1 - 4e-4), rel=1e-11)
    with pytest.raises(DivergentExpectationError, match="diverges"):
        expected_square(formula, 5000.0)
    # E[e^{2x}] = e^{2q}: exact while float64 holds it, an error once it cannot.
    assert expected_square("exponential", 1.5) == pytest.approx(math.exp(3.0), rel=1e-12)
    with pytest.raises(DivergentExpectationError, match="variance"):
        expected_square("exponential", 400.0)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "sparsemax"])
def test_vector_activations_are_refused(name):
    with pytest.raises(NotElementwiseError, match="elementwise"):
        gaussian_moments(name, 1.0)


def test_bad_variances_are_refused():
    with pytest.raises(TheoryOptionError, match="variance"):
        gaussian_moments("tanh", -1.0)
    with pytest.raises(TheoryOptionError, match="variance"):
        gaussian_moments("tanh", float("nan"))
    with pytest.raises(TheoryOptionError, match="correlation"):
        correlated_moments("tanh", 1.0, 1.0, 1.5)
