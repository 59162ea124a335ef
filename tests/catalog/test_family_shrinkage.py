"""The shrinkage family beyond the generic harness: other thresholds against PyTorch
(values and the gradient at ±λ), Keras's parameter name, and tanhshrink's accuracy
near 0 (against mpmath)."""

from __future__ import annotations

import math

import mpmath
import pytest
import torch
import torch.nn.functional as F

import actlab
from actlab.catalog import resolve
from actlab.errors import ParameterError
from actlab.kernels import force_implementation

F64 = torch.float64


@pytest.mark.parametrize(("name", "torch_fn"), [("hardshrink", F.hardshrink),
                                                ("softshrink", F.softshrink)])
@pytest.mark.parametrize("lambd", [0.0, 0.5, 1.3])
@pytest.mark.parametrize("impl", ["native", "analytic"])
def test_shrink_matches_pytorch_including_the_ends(name, torch_fn, lambd, impl):
    x = torch.cat([torch.linspace(-4, 4, 161, dtype=F64),
                   torch.tensor([-lambd, lambd, 1e4, -1e4], dtype=F64)])
    t = x.clone().requires_grad_(True)
    ref = torch_fn(t, lambd)
    (ref_grad,) = torch.autograd.grad(ref.sum(), t)
    s = x.clone().requires_grad_(True)
    with force_implementation(impl):
        got = actlab.functional.call(name, s, lambd=lambd)
    (grad,) = torch.autograd.grad(got.sum(), s)
    # Exact: x - lambd, x + lambd, x and 0 are single correctly rounded operations (or none),
    # so every code path and vector width gives the same bits.
    torch.testing.assert_close(got.detach(), ref.detach(), rtol=0, atol=0)
    torch.testing.assert_close(grad, ref_grad, rtol=0, atol=0)


@pytest.mark.parametrize("spelling", ["keras.activations.hard_shrink", "keras:soft_shrink"])
def test_keras_threshold_is_lambd(spelling):
    resolved = resolve(spelling)
    assert resolved.flavor == "keras"
    assert resolved.bind({"threshold": 0.3})["lambd"] == 0.3
    module = actlab.get(spelling, threshold=0.3)
    assert module.params["lambd"] == 0.3


def test_negative_lambda_is_refused():
    for name in ("hardshrink", "softshrink"):
        with pytest.raises(ParameterError, match="lambd"):
            actlab.get(name, lambd=-0.1)


SMALL = [1e-300, 1e-8, -1e-3, 0.1, -0.2, 0.2499, 0.25, -0.3, 1.0, 5.0, -30.0]


def test_tanhshrink_keeps_relative_precision_near_zero():
    x = torch.tensor(SMALL, dtype=F64)
    with mpmath.workdps(60):
        exact = torch.tensor([float(mpmath.mpf(v) - mpmath.tanh(mpmath.mpf(v)))
                              for v in SMALL], dtype=F64)
    spec = resolve("tanhshrink").spec
    torch.testing.assert_close(spec.forward(x), exact, rtol=2e-14, atol=0)
    # float32: within a few ulps of the exact value, where x − tanh(x) loses all digits.
    x32 = torch.tensor([1e-3, -0.01, 0.1, 0.24], dtype=torch.float32)
    with force_implementation("analytic"):
        got32 = actlab.functional.call("tanhshrink", x32)
    exact32 = torch.tensor([v - math.tanh(v) for v in x32.double().tolist()], dtype=F64)
    torch.testing.assert_close(got32.double(), exact32, rtol=5e-7, atol=0)
