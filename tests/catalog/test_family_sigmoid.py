"""The sigmoid family beyond the generic harness: Keras 2's hard sigmoid, accuracy in the
tails, and the formulas of the functions no framework has (checked against mpmath,
numpy transcriptions of the papers, and JAX in float64)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch

import actlab
from actlab.catalog import resolve
from actlab.errors import ParameterError
from actlab.kernels import apply, choose, force_implementation

F64 = torch.float64
mpmath.mp.dps = 50


def _call(name: str, x: torch.Tensor, **params) -> torch.Tensor:
    return actlab.functional.call(name, x, **params)


def _grad(name: str, x: torch.Tensor, **params) -> torch.Tensor:
    t = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(_call(name, t, **params).sum(), t)
    return g


# --- hard sigmoid: one spec, PyTorch's and Keras 2's formulas -----------------------------
def test_keras2_hard_sigmoid_is_the_clipped_line_with_slope_one_fifth():
    resolved = resolve("tf.keras.activations.hard_sigmoid")
    bound = resolved.bind()
    assert resolved.flavor == "keras2" and bound["slope"] == 0.2 and bound["offset"] == 0.5
    # No native op: the mask kernel, with Keras 2's ends (f'(±2.5) = 0.2).
    assert choose(resolved.spec, bound).label == "fused(mask)"
    x = torch.linspace(-4, 4, 161, dtype=F64)
    # Keras 2's keras.backend.hard_sigmoid: x·0.2 + 0.5, clipped to [0, 1].
    expected = np.clip(x.numpy() * 0.2 + 0.5, 0.0, 1.0)
    got = _call("tf.keras.activations.hard_sigmoid", x)
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-15)
    # TensorFlow's clip_by_value passes the gradient at both ends: f'(±2.5) = 0.2.
    inside = (x >= -2.5) & (x <= 2.5)
    np.testing.assert_allclose(_grad("tf.keras.activations.hard_sigmoid", x).numpy(),
                               np.where(inside.numpy(), 0.2, 0.0), rtol=0, atol=1e-15)


def test_hard_sigmoid_uses_the_native_op_only_at_pytorchs_constants():
    spec = resolve("hard_sigmoid").spec
    assert choose(spec, spec.bind()).kind == "native"
    assert choose(spec, spec.bind({"slope": 0.2})).kind == "fused"
    assert choose(spec, spec.bind({"offset": 0.4})).kind == "fused"
    x = torch.linspace(-5, 5, 101)
    torch.testing.assert_close(_call("hard_sigmoid", x), torch.nn.functional.hardsigmoid(x))
    with pytest.raises(ParameterError):
        spec.bind({"slope": 0.0})


# --- hardtanh --------------------------------------------------------------------------------
def test_hardtanh_rejects_an_empty_interval():
    with pytest.raises(ParameterError, match="min_val"):
        actlab.get("hardtanh", min_val=1.0, max_val=-1.0)
    with pytest.raises(ParameterError):
        actlab.get("hardtanh", min_val=0.5, max_val=0.5)


@pytest.mark.parametrize(("low", "high"), [(-2.0, 3.0), (0.0, 6.0), (-0.5, 0.25)])
def test_hardtanh_with_other_limits_matches_pytorch_including_its_ends(low, high):
    x = torch.cat([torch.linspace(-7, 7, 141, dtype=F64),
                   torch.tensor([low, high], dtype=F64)])
    t = x.clone().requires_grad_(True)
    ref = torch.nn.functional.hardtanh(t, low, high)
    (ref_grad,) = torch.autograd.grad(ref.sum(), t)
    with force_implementation("analytic"):
        got = _call("hardtanh", x, min_val=low, max_val=high)
        got_grad = _grad("hardtanh", x, min_val=low, max_val=high)
    # Exact: a clamp and a 0/1 slope involve no rounding on any code path.
    torch.testing.assert_close(got, ref.detach(), rtol=0, atol=0)
    torch.testing.assert_close(got_grad, ref_grad, rtol=0, atol=0)


# --- accuracy in the tails (mpmath) ----------------------------------------------------------
def _mp(fn, xs):
    return torch.tensor([float(fn(mpmath.mpf(float(v)))) for v in xs], dtype=F64)


TAIL = torch.tensor([-700.0, -200.0, -40.0, -5.0, 0.0, 5.0, 40.0, 200.0, 700.0], dtype=F64)


@pytest.mark.parametrize(("name", "exact"), [
    ("sigmoid", lambda x: mpmath.exp(-x) / (1 + mpmath.exp(-x)) ** 2),
    ("tanh", lambda x: mpmath.sech(x) ** 2),
    ("log_sigmoid", lambda x: 1 / (1 + mpmath.exp(x))),
    ("erf", lambda x: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x)),
])
def test_derivatives_keep_relative_precision_in_the_tails(name, exact):
    spec = resolve(name).spec
    got = spec.derivative(TAIL)
    expected = _mp(exact, TAIL)
    tiny = expected.abs() < 1e-300  # below float64's normal range
    torch.testing.assert_close(got[~tiny], expected[~tiny], rtol=1e-12, atol=0)


@pytest.mark.parametrize("alpha", [1.0, 2.0, 0.3])
def test_isru_is_accurate_from_zero_to_beyond_overflow_of_x_squared(alpha):
    xs = [0.0, 1e-300, 1e-8, 0.5, -3.0, 1e8, -1e30, 1e160, -1e300]
    x = torch.tensor(xs, dtype=F64)

    def exact(v):
        return v / mpmath.sqrt(1 + alpha * v * v)

    def exact_prime(v):
        return (1 + alpha * v * v) ** mpmath.mpf(-1.5)

    got = _call("isru", x, alpha=alpha)
    torch.testing.assert_close(got, _mp(exact, xs), rtol=1e-14, atol=0)
    spec = resolve("isru").spec
    torch.testing.assert_close(spec.derivative(x, alpha=alpha), _mp(exact_prime, xs),
                               rtol=1e-13, atol=1e-300)
    limits = _call("isru", torch.tensor([-math.inf, math.inf], dtype=F64), alpha=alpha)
    assert limits.tolist() == pytest.approx([-1 / math.sqrt(alpha), 1 / math.sqrt(alpha)])


# --- functions from papers, against numpy transcriptions -----------------------------------
GRID = torch.cat([torch.linspace(-6, 6, 241, dtype=F64),
                  torch.tensor([-2.0, 0.0, 2.0, -1e4, 1e4], dtype=F64)])


def test_sqnl_is_wuraola_and_patels_piecewise_quadratic():
    x = GRID.numpy()
    # Wuraola & Patel 2018, eq. (1).
    expected = np.piecewise(x, [x > 2, (x >= 0) & (x <= 2), (x < 0) & (x >= -2), x < -2],
                            [1.0, lambda v: v - v * v / 4, lambda v: v + v * v / 4, -1.0])
    np.testing.assert_allclose(_call("sqnl", GRID).numpy(), expected, rtol=1e-15, atol=1e-15)
    slope = np.where(np.abs(x) <= 2, 1 - np.abs(x) / 2, 0.0)
    np.testing.assert_allclose(_grad("sqnl", GRID).numpy(), slope, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("a", [0.25, 0.1, 1.0])
def test_penalized_tanh_is_xu_huang_and_lis_function(a):
    x = GRID.numpy()
    expected = np.where(x > 0, np.tanh(x), a * np.tanh(x))
    np.testing.assert_allclose(_call("penalized_tanh", GRID, a=a).numpy(), expected,
                               rtol=1e-15, atol=1e-15)
    # The slope at 0 is that of the x ≤ 0 piece, a (the left-sided difference quotient).
    h = 1e-7
    left = (0.0 - a * math.tanh(-h)) / h
    assert _grad("penalized_tanh", torch.zeros(1, dtype=F64), a=a).item() == \
        pytest.approx(left, rel=1e-10)


# --- JAX in float64 ----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "jax_name"), [
    ("sparse_sigmoid", "sparse_sigmoid"), ("hardtanh", "hard_tanh"),
    ("log_sigmoid", "log_sigmoid"), ("softsign", "soft_sign"), ("sigmoid", "sigmoid"),
    ("hard_sigmoid", "hard_sigmoid"),
])
def test_values_match_jax_in_float64_including_large_inputs(name, jax_name):
    import jax
    import jax.numpy as jnp

    x = torch.cat([GRID, torch.tensor([-1e300, -745.0, 745.0, 1e300], dtype=F64)])
    with jax.enable_x64(True):
        expected = np.asarray(getattr(jax.nn, jax_name)(jnp.asarray(x.numpy())))
    for impl in ("analytic", "native"):
        spec = resolve(name).spec
        bound = resolve(name).bind()
        if impl == "native" and not spec.uses_native(bound):
            continue
        with force_implementation(impl):
            got = apply(spec, x, bound)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-15, atol=1e-300)
