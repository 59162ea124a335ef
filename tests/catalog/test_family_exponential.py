"""The exponential family beyond the generic harness: PyTorch's softplus threshold rule,
squareplus far from 0, SELU and CELU away from their defaults, PELU's parameters (against
PyTorch's celu and finite differences) and NLReLU."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import actlab
from actlab.catalog import resolve
from actlab.errors import ParameterError
from actlab.kernels import choose, force_implementation

F64 = torch.float64
mpmath.mp.dps = 50


def _value_and_grad(name: str, x: torch.Tensor, **params):
    t = x.clone().requires_grad_(True)
    y = actlab.functional.call(name, t, **params)
    (g,) = torch.autograd.grad(y.sum(), t)
    return y.detach(), g


def _torch_value_and_grad(fn, x: torch.Tensor):
    t = x.clone().requires_grad_(True)
    y = fn(t)
    (g,) = torch.autograd.grad(y.sum(), t)
    return y.detach(), g


# --- softplus -------------------------------------------------------------------------------
@pytest.mark.parametrize(("beta", "threshold"), [(1.0, 20.0), (2.0, 5.0), (0.5, 3.0),
                                                 (3.0, -1.0)])
@pytest.mark.parametrize("impl", ["native", "analytic"])
def test_softplus_reproduces_pytorchs_threshold_rule(beta, threshold, impl):
    cut = threshold / beta
    x = torch.cat([torch.linspace(cut - 3, cut + 3, 121, dtype=F64),
                   torch.tensor([cut, math.nextafter(cut, math.inf),
                                 math.nextafter(cut, -math.inf), 1e4, -1e4], dtype=F64)])
    ref, ref_grad = _torch_value_and_grad(lambda t: F.softplus(t, beta, threshold), x)
    with force_implementation(impl):
        got, got_grad = _value_and_grad("softplus", x, beta=beta, threshold=threshold)
    torch.testing.assert_close(got, ref, rtol=1e-15, atol=1e-15)
    torch.testing.assert_close(got_grad, ref_grad, rtol=1e-15, atol=1e-15)


def test_softplus_flavors_differ_only_in_the_threshold():
    assert resolve("softplus").bind()["threshold"] == 20.0
    assert resolve("torch.nn.Softplus").bind()["threshold"] == 20.0
    # Keras 3's torch backend calls F.softplus: PyTorch's threshold, 20.
    assert resolve("keras:softplus").bind()["threshold"] == 20.0
    for spelling in ("jax.nn.softplus", "tf.keras.activations.softplus"):
        assert resolve(spelling).bind()["threshold"] is None
    spec = resolve("softplus").spec
    assert spec.bind()["threshold"] is None  # the canonical definition is the exact function
    assert choose(spec, spec.bind({"threshold": 20.0})).kind == "native"
    assert choose(spec, spec.bind()).label == "fused(output)"  # no native op
    with pytest.raises(ParameterError):
        spec.bind({"beta": 0.0})


def test_softplus_without_threshold_is_jaxs_logaddexp_in_float64():
    import jax
    import jax.numpy as jnp

    x = torch.tensor([-1e4, -745.0, -40.0, -1.0, 0.0, 1.0, 19.0, 21.0, 30.0, 40.0, 1e4],
                     dtype=F64)
    with jax.enable_x64(True):
        expected = np.asarray(jax.nn.softplus(jnp.asarray(x.numpy())))
        slope = np.asarray(jax.vmap(jax.grad(jax.nn.softplus))(jnp.asarray(x.numpy())))
    got, grad = _value_and_grad("jax.nn.softplus", x)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(grad.numpy(), slope, rtol=4e-15, atol=1e-300)


# --- squareplus -------------------------------------------------------------------------------
SQUAREPLUS_X = [-1e300, -1e150, -1e10, -1e4, -30.0, -1.0, 0.0, 1e-300, 1.0, 30.0, 1e10, 1e300]


@pytest.mark.parametrize("b", [4.0, 0.5, 1e-6])
def test_squareplus_is_accurate_everywhere(b):
    x = torch.tensor(SQUAREPLUS_X, dtype=F64)
    bb = mpmath.mpf(b)

    def exact(v):
        return (v + mpmath.sqrt(v * v + bb)) / 2

    def exact_prime(v):
        return (1 + v / mpmath.sqrt(v * v + bb)) / 2

    def exact_second(v):
        return bb / (2 * (v * v + bb) ** mpmath.mpf(1.5))

    def mp(fn):
        # 700 digits: enough for x + sqrt(x² + b) to cancel exactly at x = −1e300.
        with mpmath.workdps(700):
            return torch.tensor([float(fn(mpmath.mpf(v))) for v in SQUAREPLUS_X], dtype=F64)

    spec = resolve("squareplus").spec
    torch.testing.assert_close(spec.forward(x, b=b), mp(exact), rtol=1e-14, atol=0)
    torch.testing.assert_close(spec.derivative(x, b=b), mp(exact_prime), rtol=1e-14, atol=0)
    torch.testing.assert_close(spec.second_derivative(x, b=b), mp(exact_second), rtol=1e-13,
                               atol=0)


def test_squareplus_with_b_zero_is_relu():
    x = torch.linspace(-5, 5, 101, dtype=F64)
    y, g = _value_and_grad("squareplus", x, b=0.0)
    torch.testing.assert_close(y, F.relu(x))
    torch.testing.assert_close(g[x != 0], (x[x != 0] > 0).to(F64))
    assert not bool(torch.isnan(g).any())


# --- elu, selu, celu away from their defaults ----------------------------------------------
@pytest.mark.parametrize(("alpha", "scale"), [(1.0, 1.0), (2.5, 0.7), (0.3, 2.0)])
def test_selu_with_other_constants_is_a_scaled_elu(alpha, scale):
    x = torch.cat([torch.linspace(-8, 8, 161, dtype=F64), torch.tensor([0.0], dtype=F64)])
    ref, ref_grad = _torch_value_and_grad(lambda t: scale * F.elu(t, alpha), x)
    spec = resolve("selu").spec
    assert choose(spec, spec.bind({"alpha": alpha, "scale": scale})).kind != "native"
    got, grad = _value_and_grad("selu", x, alpha=alpha, scale=scale)
    torch.testing.assert_close(got, ref, rtol=1e-15, atol=1e-15)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("alpha", [-1.0, -0.4, 0.2, 3.0])
def test_celu_matches_pytorch_for_any_nonzero_alpha(alpha):
    x = torch.cat([torch.linspace(-6, 6, 121, dtype=F64), torch.tensor([0.0], dtype=F64)])
    ref, ref_grad = _torch_value_and_grad(lambda t: F.celu(t, alpha), x)
    with force_implementation("analytic"):
        got, grad = _value_and_grad("celu", x, alpha=alpha)
    torch.testing.assert_close(got, ref, rtol=1e-13, atol=1e-13)
    # PyTorch's float64 backward computes α·r·e^{x·r} with r = 1/float32(α): celu is
    # PyTorch's (to rounding); jax:celu is the exact e^{x/α} (x ≤ 0), 1 (x > 0) of numpy.
    torch.testing.assert_close(grad, ref_grad, rtol=1e-14, atol=1e-15)
    with force_implementation("analytic"):
        _, exact_grad = _value_and_grad("jax:celu", x, alpha=alpha)
    exact = np.where(x.numpy() > 0, 1.0, np.exp(np.minimum(x.numpy(), 0) / alpha))
    np.testing.assert_allclose(exact_grad.numpy(), exact, rtol=1e-15, atol=0)
    if float(np.float32(alpha)) != alpha:
        assert not np.allclose(grad.numpy(), exact, rtol=1e-12, atol=0)
    with pytest.raises(ParameterError):
        actlab.get("celu", alpha=0.0)


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_elu_second_derivative_at_zero_follows_pytorchs_double_backward(alpha):
    x = torch.tensor([-1.0, 0.0, 1.0], dtype=F64, requires_grad=True)
    (g,) = torch.autograd.grad(F.elu(x, alpha).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    spec = resolve("elu").spec
    torch.testing.assert_close(spec.derivative(x.detach(), alpha=alpha), g.detach())
    torch.testing.assert_close(spec.second_derivative(x.detach(), alpha=alpha), gg)


# --- pelu -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (0.5, 2.0), (3.0, 0.25)])
def test_pelu_is_a_over_b_times_celu_with_alpha_b(a, b):
    # Trottier et al.: (a/b)·x for x ≥ 0, a(e^{x/b} − 1) below = (a/b)·celu(x; α = b).
    x = torch.linspace(-8, 8, 161, dtype=F64)
    ref, ref_grad = _torch_value_and_grad(lambda t: (a / b) * F.celu(t, b), x)
    got, grad = _value_and_grad("pelu", x, a=a, b=b)
    torch.testing.assert_close(got, ref, rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-14, atol=1e-14)


def test_pelu_module_learns_a_and_b_per_channel():
    module = actlab.get("pelu", num_parameters=3).double()
    assert {n for n, _ in module.named_parameters()} == {"a", "b"}
    a0 = torch.tensor([1.0, 0.5, 2.0], dtype=F64)
    b0 = torch.tensor([1.0, 1.5, 0.7], dtype=F64)
    with torch.no_grad():
        module.a.copy_(a0)
        module.b.copy_(b0)
    x = torch.randn(4, 3, 5, dtype=F64, generator=torch.Generator().manual_seed(0)) * 2
    w = torch.randn(4, 3, 5, dtype=F64, generator=torch.Generator().manual_seed(1))

    def loss(a: torch.Tensor, b: torch.Tensor) -> float:
        out = torch.stack([(a[c] / b[c]) * F.celu(x[:, c], float(b[c])) for c in range(3)], 1)
        return float((out * w).sum())

    (module(x) * w).sum().backward()
    h = 1e-6
    for name, base, other in (("a", a0, b0), ("b", b0, a0)):
        fd = []
        for c in range(3):
            up, down = base.clone(), base.clone()
            up[c] += h
            down[c] -= h
            if name == "a":
                fd.append((loss(up, other) - loss(down, other)) / (2 * h))
            else:
                fd.append((loss(other, up) - loss(other, down)) / (2 * h))
        torch.testing.assert_close(getattr(module, name).grad, torch.tensor(fd, dtype=F64),
                                   rtol=1e-6, atol=1e-7)


def test_pelu_rejects_non_positive_parameters():
    with pytest.raises(ParameterError):
        actlab.get("pelu", a=0.0)
    with pytest.raises(ParameterError):
        actlab.get("pelu", b=-1.0)


# --- nlrelu, exponential ----------------------------------------------------------------------
@pytest.mark.parametrize("beta", [1.0, 0.3, 10.0])
def test_nlrelu_is_log1p_of_beta_relu(beta):
    x = torch.linspace(-5, 50, 221, dtype=F64)
    expected = np.log1p(beta * np.maximum(x.numpy(), 0.0))
    got, grad = _value_and_grad("nlrelu", x, beta=beta)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-15, atol=0)
    slope = np.where(x.numpy() > 0, beta / (1 + beta * np.maximum(x.numpy(), 0)), 0.0)
    np.testing.assert_allclose(grad.numpy(), slope, rtol=1e-14, atol=0)


def test_nlrelu_stays_finite_where_beta_x_overflows():
    x = torch.tensor([1e308, 3e38], dtype=F64)
    y = actlab.functional.call("nlrelu", x, beta=10.0)
    expected = [math.log(10.0) + math.log(1e308), math.log1p(10.0 * 3e38)]
    assert y.tolist() == pytest.approx(expected, rel=1e-15)
    y32 = actlab.functional.call("nlrelu", torch.tensor([3e38]), beta=10.0)
    assert y32.item() == pytest.approx(math.log1p(3e39), rel=1e-6)


def test_exponential_spellings():
    assert resolve("torch.exp").spec.name == "exponential"
    assert resolve("keras.activations.exponential").flavor == "keras"
    assert resolve("tf.keras.activations.exponential").flavor == "keras2"
    x = torch.linspace(-10, 10, 41)
    torch.testing.assert_close(actlab.get("exp")(x), torch.exp(x))
