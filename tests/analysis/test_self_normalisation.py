"""SELU's self-normalising fixed point (Klambauer et al. 2017), checked independently."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mean_field_reference import SELU_ALPHA, SELU_SCALE, normal_expectation, selu
from scipy import stats

from actlab.analysis import TheoryOptionError, gaussian_moments, moment_fixed_point, moment_map
from actlab.analysis.self_normalisation import moment_map_jacobian


def test_published_selu_constants_solve_the_fixed_point_equations():
    # Closed forms for z ~ N(0, 1):
    #   E[selu z] = λ (φ(0) + α (e^{1/2} Φ(−1) − 1/2))
    #   E[selu z²] = λ² (1/2 + α² (e² Φ(−2) − 2 e^{1/2} Φ(−1) + 1/2))
    lam, alpha = SELU_SCALE, SELU_ALPHA
    mean = lam * (stats.norm.pdf(0) + alpha * (math.exp(0.5) * stats.norm.cdf(-1) - 0.5))
    second = lam**2 * (0.5 + alpha**2 * (math.exp(2) * stats.norm.cdf(-2)
                                         - 2 * math.exp(0.5) * stats.norm.cdf(-1) + 0.5))
    assert abs(mean) < 1e-9
    assert abs(second - 1) < 1e-9
    m = gaussian_moments("selu", 1.0)
    assert abs(m.mean[0]) < 1e-9 and abs(m.second_moment[0] - 1) < 1e-9


def test_selu_fixed_point_and_jacobian_match_the_paper():
    fp = moment_fixed_point("selu", omega=0.0, tau=1.0)
    assert fp.found and fp.stable and fp.normalised
    assert fp.mu == pytest.approx(0.0, abs=1e-12) and fp.nu == pytest.approx(1.0, abs=1e-12)
    # Klambauer et al.: J(0, 1) = [[0.0, 0.088834], [0.0, 0.782648]], spectral norm 0.7877.
    np.testing.assert_allclose(fp.jacobian, [[0.0, 0.088834], [0.0, 0.782648]], atol=1e-6)
    assert fp.spectral_norm == pytest.approx(0.7877, abs=1e-4)
    assert fp.spectral_radius == pytest.approx(0.782648, abs=1e-6)


def test_jacobian_matches_finite_differences_of_quadrature():
    omega, tau, mu, nu, h = 0.3, 1.2, 0.2, 0.9, 1e-5

    def g(m, v):
        mean = normal_expectation(selu, v * tau, (0.0,), mean=m * omega)
        second = normal_expectation(lambda x: selu(x) ** 2, v * tau, (0.0,), mean=m * omega)
        return np.array([mean, second - mean**2])

    fd = np.column_stack([(g(mu + h, nu) - g(mu - h, nu)) / (2 * h),
                          (g(mu, nu + h) - g(mu, nu - h)) / (2 * h)])
    np.testing.assert_allclose(moment_map_jacobian("selu", mu, nu, omega, tau), fd, rtol=1e-6,
                               atol=1e-9)
    expected = g(mu, nu)
    assert moment_map("selu", mu, nu, omega, tau) == pytest.approx(tuple(expected), rel=1e-10)


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "elu", "identity"])
def test_other_activations_do_not_self_normalise(name):
    fp = moment_fixed_point(name)
    assert not fp.normalised


def test_relu_collapses_to_zero_variance():
    # With ω = 0, τ = 1: ν̃ = ν (1/2 − 1/(2π)) for ReLU, so ν → 0 geometrically.
    fp = moment_fixed_point("relu")
    assert fp.nu < 1e-12
    assert fp.spectral_radius == pytest.approx(0.5 - 1 / (2 * math.pi), rel=1e-8)


def test_bad_moment_arguments():
    with pytest.raises(TheoryOptionError):
        moment_map("selu", 0.0, -1.0)
    with pytest.raises(TheoryOptionError):
        moment_map("selu", 0.0, 1.0, tau=0.0)
