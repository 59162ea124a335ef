"""Inputs near a dtype's largest value: no inf or nan where the true value is representable.

For every elementwise and gated spelling in the catalog, in float32 and bfloat16, the
module's output and input gradient at |x| from 1e18 to the dtype's maximum are compared
with the same module in float64 (the reference): wherever the float64 value is finite
and fits the dtype, ours must be finite too. An intermediate that overflows (x·(1 + t)
before the halving, 2αx inside a sine, x·eˣ times an exact zero) is a defect of ours.

Three native PyTorch kernels overflow there themselves; actlab calls them on purpose (they
are PyTorch's numbers, which the torch flavor promises), and the last test pins that.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import actlab
from actlab.catalog.registry import registry

MAGNITUDES = torch.logspace(18, 38.52, 60, dtype=torch.float64)  # up to float32's max
X = torch.cat([MAGNITUDES, -MAGNITUDES, torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64)])
DTYPES = (torch.float32, torch.bfloat16)
#: (canonical name, what): native PyTorch kernels whose own overflow actlab keeps.
PYTORCH_OVERFLOWS = {("gelu", "forward"), ("gelu", "gradient"), ("hard_swish", "forward")}


def _spellings() -> list[str]:
    names = []
    for spec in registry().specs():
        if spec.kind in ("elementwise", "gated"):
            names += [spec.name] + [f"{f}:{spec.name}" for f in spec.flavors]
    return names


def _inputs(kind: str, dtype: torch.dtype) -> torch.Tensor:
    if kind == "gated":  # every (a, b) pair of halves
        a, b = torch.meshgrid(X, X, indexing="ij")
        return torch.stack([a.flatten(), b.flatten()], dim=-1).to(dtype)
    return X.to(dtype)


def _forward_and_gradient(module: torch.nn.Module, x: torch.Tensor):
    x = x.clone().requires_grad_()
    y = module(x)
    y.to(torch.float64).sum().backward()
    return y.detach().to(torch.float64), x.grad.to(torch.float64)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", _spellings())
def test_no_overflow_where_the_true_value_fits_the_dtype(name, dtype):
    spec = actlab.spec(name)
    required = {p.name: p.example for p in spec.params if p.required}  # threshold's θ
    module = actlab.get(name, **required).to(dtype).eval()
    reference = actlab.get(name, **required).double().eval()
    x = _inputs(spec.kind, dtype)
    ours = _forward_and_gradient(module, x)
    exact = _forward_and_gradient(reference, x.to(torch.float64))
    largest = torch.finfo(dtype).max
    for what, value, true in zip(("forward", "gradient"), ours, exact):
        if (spec.name, what) in PYTORCH_OVERFLOWS and module.implementation.kind == "native":
            continue  # pinned to PyTorch's own kernel below
        representable = torch.isfinite(true) & (true.abs() <= largest)
        wrong = representable & ~torch.isfinite(value)
        where = x.to(torch.float64).reshape(len(x), -1)[wrong.reshape(len(x), -1).any(-1)]
        assert not wrong.any(), f"{name} {what} is not finite at {where[:3].tolist()}"


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_where_pytorch_itself_overflows_we_give_pytorchs_numbers(dtype):
    # F.gelu (exact) overflows in x·(1 + erf)/2 past max/2; F.hardswish in x·relu6(x + 3)
    # past max/6; the tanh GELU's gradient is nan once x³ overflows (JAX's is nan too).
    x = X.to(dtype)
    for name, torch_op in (("gelu", lambda v: F.gelu(v)),
                           ("jax:gelu", lambda v: F.gelu(v, approximate="tanh")),
                           ("hard_swish", F.hardswish)):
        module = actlab.get(name)
        assert module.implementation.kind == "native"
        ours = _forward_and_gradient(module, x)
        theirs = _forward_and_gradient(torch_op, x)
        for a, b in zip(ours, theirs):  # the same kernels: the same bits, nan and inf too
            torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)
    assert not torch.isfinite(F.gelu(x)).all()  # the overflow is PyTorch's own
