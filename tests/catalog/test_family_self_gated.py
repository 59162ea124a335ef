"""The self-gated family against independent sources: PyTorch's own ops, and the papers'
formulas evaluated in 50-digit arithmetic (mpmath) for the units no framework ships."""

from __future__ import annotations

import math
import warnings

import mpmath as mp
import pytest
import torch
import torch.nn.functional as F

import actlab
from actlab.catalog import registry, resolve
from actlab.errors import ParameterError
from actlab.kernels import apply, force_implementation

F64 = torch.float64
mp.mp.dps = 50


def _sig(x):
    return 1 / (1 + mp.exp(-x))


#: The papers' formulas, written independently of the catalog's stable rewrites.
PAPER = {
    "quick_gelu": lambda x: x * _sig(mp.mpf("1.702") * x),
    "hard_mish": lambda x: x / 2 * min(max(x + 2, 0), 2),
    "tanhexp": lambda x: x * mp.tanh(mp.exp(x)),
    "lisht": lambda x: x * mp.tanh(x),
    "elish": lambda x: x * _sig(x) if x >= 0 else (mp.exp(x) - 1) * _sig(x),
    "smish": lambda x: x * mp.tanh(mp.log(1 + _sig(x))),
    "logish": lambda x: x * mp.log(1 + _sig(x)),
    "dsilu": lambda x: _sig(x) * (1 + x * (1 - _sig(x))),
    "mish": lambda x: x * mp.tanh(mp.log(1 + mp.exp(x))),
    "silu": lambda x: x * _sig(x),
    "gelu": lambda x: x * mp.ncdf(x),
}

POINTS = [-700.0, -80.0, -30.0, -12.5, -3.0, -1.3, -0.5, -1e-3, -1e-30, 0.0, 1e-30, 2e-3, 0.7,
          2.0, 4.5, 19.0, 35.0, 200.0, 1e4]


def _rel_close(got: float, want, rel: float, abs_: float = 1e-300) -> bool:
    return abs(got - float(want)) <= rel * abs(float(want)) + abs_


@pytest.mark.parametrize("name", sorted(PAPER))
def test_values_and_derivatives_match_the_paper_in_high_precision(name):
    """f, f' and f'' to ~1e-12 relative in float64, including deep in both tails."""
    spec = registry().spec(name)
    f = PAPER[name]
    x = torch.tensor(POINTS, dtype=F64)
    values = spec.math_values(spec.bind())
    y = spec.forward(x, **values)
    d1 = spec.derivative(x, **values)
    d2 = spec.second_derivative(x, **values)
    kinks = spec.kink_points(spec.bind())
    for i, xv in enumerate(POINTS):
        xm = mp.mpf(xv)
        assert _rel_close(float(y[i]), f(xm), 1e-12), (name, xv, float(y[i]), f(xm))
        if any(abs(xv - k) < 1e-2 for k in kinks):
            continue
        want1 = mp.diff(f, xm)
        want2 = mp.diff(f, xm, 2)
        # Absolute slack near zeros of f' / f'' (cancellation between terms is legitimate).
        assert _rel_close(float(d1[i]), want1, 1e-11, 1e-15), (name, xv, float(d1[i]), want1)
        assert _rel_close(float(d2[i]), want2, 1e-9, 1e-13), (name, xv, float(d2[i]), want2)


@pytest.mark.parametrize("name", ["gelu", "quick_gelu", "silu", "mish", "hard_swish",
                                  "hard_mish", "tanhexp", "elish", "smish", "logish", "dsilu"])
def test_the_claimed_minimum_is_attained(name):
    """The lower end of the range is a true minimum, found here by mpmath's root finder."""
    spec = registry().spec(name)
    lo = spec.properties.output_range[0]
    assert spec.properties.range_closed[0]
    if name in ("hard_swish", "hard_mish"):
        x0 = -1.5 if name == "hard_swish" else -1.0  # vertex of the quadratic piece
        assert float(spec.forward(torch.tensor([x0], dtype=F64))) == lo
        return
    f = PAPER[name]
    x0 = mp.findroot(lambda t: mp.diff(f, t), -1.0 if name != "dsilu" else -2.4)
    assert float(f(x0)) == pytest.approx(lo, rel=1e-14)
    values = spec.math_values(spec.bind())
    got = spec.forward(torch.tensor([float(x0)], dtype=F64), **values)
    assert float(got) == pytest.approx(lo, rel=1e-13)


def test_dsilu_is_the_derivative_of_pytorchs_silu():
    x = torch.linspace(-20, 20, 801, dtype=F64).requires_grad_(True)
    (grad,) = torch.autograd.grad(F.silu(x).sum(), x)
    torch.testing.assert_close(actlab.functional.dsilu(x.detach()), grad, rtol=1e-13,
                               atol=1e-15)


def test_quick_gelu_is_a_scaled_silu():
    x = torch.linspace(-30, 30, 601, dtype=F64)
    torch.testing.assert_close(actlab.functional.quick_gelu(x), F.silu(1.702 * x) / 1.702,
                               rtol=1e-13, atol=1e-15)


def test_the_tanh_gelu_keeps_relative_accuracy_for_negative_inputs():
    """σ(2u) instead of (1 + tanh u)/2: no cancellation where the gate is tiny."""
    spec = registry().spec("gelu")
    c = mp.sqrt(2 / mp.pi)
    for xv in (-4.0, -6.0, -8.0):
        xm = mp.mpf(xv)
        want = xm / 2 * (1 + mp.tanh(c * (xm + mp.mpf("0.044715") * xm ** 3)))
        got = spec.forward(torch.tensor([xv], dtype=F64), approximate="tanh")
        assert _rel_close(float(got), want, 1e-12)


# --- gelu flavors --------------------------------------------------------------------------
@pytest.mark.parametrize(("spelling", "expected"), [
    ("gelu", "none"), ("torch.nn.GELU", "none"), ("keras:gelu", "none"),
    ("keras.activations.gelu", "none"), ("keras.ops.gelu", "tanh"),
    ("tf.keras.activations.gelu", "none"), ("jax.nn.gelu", "tanh"), ("jax:gelu", "tanh"),
])
def test_each_framework_spelling_picks_its_own_gelu(spelling, expected):
    assert resolve(spelling).bind()["approximate"] == expected


@pytest.mark.parametrize(("value", "expected"), [(True, "tanh"), (False, "none"),
                                                 ("tanh", "tanh")])
def test_gelu_accepts_keras_and_jax_booleans(value, expected):
    x = torch.linspace(-5, 5, 41)
    got = actlab.functional.gelu(x, approximate=value)
    torch.testing.assert_close(got, F.gelu(x, approximate=expected))


# --- swish-β -------------------------------------------------------------------------------
def test_silu_uses_the_native_op_only_for_beta_one():
    spec = registry().spec("silu")
    assert spec.uses_native(spec.bind())
    assert not spec.uses_native(spec.bind({"beta": 1.5}))
    assert not spec.uses_native({"beta": torch.tensor(1.0), "num_parameters": 1})


def test_swish_beta_matches_autograd_of_the_eager_formula():
    x = torch.randn(2, 3, 5, dtype=F64, generator=torch.Generator().manual_seed(0)) * 4
    beta_ref = torch.tensor([0.3, 1.0, 2.5], dtype=F64).reshape(3, 1).requires_grad_(True)
    xr = x.clone().requires_grad_(True)
    ref = xr * torch.sigmoid(beta_ref * xr)
    module = actlab.get("silu", trainable=True, num_parameters=3).to(F64)
    with torch.no_grad():
        module.beta.copy_(beta_ref.detach().reshape(3))
    xo = x.clone().requires_grad_(True)
    out = module(xo)  # channels are dim 1, one β each
    torch.testing.assert_close(out, ref)
    w = torch.randn_like(x)
    (ref * w).sum().backward()
    (out * w).sum().backward()
    torch.testing.assert_close(xo.grad, xr.grad)
    torch.testing.assert_close(module.beta.grad, beta_ref.grad.reshape(3))


def test_silu_beta_is_fixed_unless_asked():
    assert not list(actlab.get("silu").parameters())
    assert [n for n, _ in actlab.get("swish", trainable=True).named_parameters()] == ["beta"]


# --- hard variants ---------------------------------------------------------------------------
def test_hard_swish_follows_pytorch_at_and_around_the_kinks():
    x = torch.tensor([-3.0, -3.0 + 1e-6, 3.0 - 1e-6, 3.0, -1e4, 1e4], dtype=F64,
                     requires_grad=True)
    (grad,) = torch.autograd.grad(F.hardswish(x).sum(), x)
    spec = registry().spec("hard_swish")
    torch.testing.assert_close(spec.derivative(x.detach()), grad)
    with force_implementation("analytic"):
        x2 = x.detach().clone().requires_grad_(True)
        y = actlab.functional.hard_swish(x2)
        (lean,) = torch.autograd.grad(y.sum(), x2)
    torch.testing.assert_close(lean, grad)


def test_hard_mish_is_c1_at_zero_and_c0_at_minus_two():
    spec = registry().spec("hard_mish")
    h = 1e-9
    x = torch.tensor([-h, h, -2 - h, -2 + h], dtype=F64)
    d = spec.derivative(x)
    assert float(d[0]) == pytest.approx(float(d[1]), abs=1e-8)  # slope 1 from both sides
    assert float(d[2]) == 0.0 and float(d[3]) == pytest.approx(-1.0, abs=1e-8)


# --- numerics ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["gelu", "quick_gelu", "silu", "mish", "hard_swish", "hard_mish",
                                  "tanhexp", "lisht", "elish", "smish", "logish", "dsilu"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_low_precision_gradients_are_finite_at_extremes(name, dtype):
    x = torch.tensor([-6e4, -1e4, -88.0, -30.0, 0.0, 30.0, 88.0, 1e4, 6e4], dtype=torch.float32)
    x = x.to(dtype).requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with force_implementation("analytic"):
            y = actlab.functional.call(name, x)
    y.sum().backward()
    assert torch.isfinite(y).all() and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", ["gelu", "silu", "mish", "hard_swish"])
def test_inplace_native_where_pytorch_has_it(name):
    spec = registry().spec(name)
    x = torch.randn(10)
    expected = apply(spec, x.clone(), spec.bind())
    if spec.native_inplace:
        y = x.clone()
        out = actlab.get(name, inplace=True)(y)
        assert out.data_ptr() == y.data_ptr()
        torch.testing.assert_close(out, expected)
    else:
        with pytest.raises(ParameterError):
            actlab.get(name, inplace=True)


def test_infinite_inputs_give_limits_for_every_derivative():
    x = torch.tensor([-math.inf, math.inf], dtype=F64)
    for name in ("gelu", "quick_gelu", "silu", "mish", "tanhexp", "lisht", "elish", "smish",
                 "logish", "dsilu"):
        spec = registry().spec(name)
        for fn in (spec.derivative, spec.second_derivative):
            assert not torch.isnan(fn(x, **spec.math_values(spec.bind()))).any(), name
