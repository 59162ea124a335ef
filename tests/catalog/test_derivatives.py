"""Analytic derivatives against autograd, float64 finite differences and gradcheck."""

from __future__ import annotations

import pytest
import torch

import actlab
from actlab.catalog import registry
from actlab.catalog.spec import ActivationSpec
from actlab.kernels import apply_analytic, force_implementation

F64 = torch.float64


def _flavor_settings(spec: ActivationSpec) -> list[tuple[ActivationSpec, str | None, dict]]:
    """The canonical defaults and every flavor's defaults and formulas (they may differ:
    a flavor may compute with its framework's own derivative)."""
    out = [(spec, None, spec.bind(fill_examples=True))]
    for name in spec.flavors:
        variant = spec.for_flavor(name)
        bound = spec.bind(flavor=name, fill_examples=True)
        if all(variant is not v or bound != b for v, _, b in out):
            out.append((variant, name, bound))
    return out


ELEMENTWISE = [s for s in registry().specs() if s.kind == "elementwise"]
SETTINGS = [pytest.param(variant, fl, bound, id=f"{spec.name}-{fl or 'canonical'}")
            for spec in ELEMENTWISE for variant, fl, bound in _flavor_settings(spec)]

#: Derivatives that reproduce a framework's backward with a constant rounded to float32
#: (PyTorch's hardsigmoid multiplies by 1.0f/6.0f, also in float64), so they differ from
#: the derivative of the forward by up to one float32 rounding, 2⁻²⁴ relative.
FLOAT32_BACKWARD = {("hard_sigmoid", None), ("hard_sigmoid", "torch"), ("hard_sigmoid", "keras")}


def _points(spec: ActivationSpec, bound: dict, n: int = 400, margin: float = 1e-3,
            seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    x = torch.cat([torch.linspace(-8, 8, n, dtype=F64),
                   torch.randn(n, generator=gen, dtype=F64) * 4])
    keep = torch.ones_like(x, dtype=torch.bool)
    for k in spec.kink_points(bound):
        keep &= (x - k).abs() > margin
    return x[keep]


def _scalar_values(spec: ActivationSpec, bound: dict) -> dict:
    values = spec.math_values(bound)
    return {k: (float(v) if isinstance(v, (int, float)) and spec.param(k).learnable else v)
            for k, v in values.items()}


@pytest.mark.parametrize(("spec", "flavor", "bound"), SETTINGS)
def test_first_derivative_matches_autograd_and_finite_differences(spec, flavor, bound):
    values = _scalar_values(spec, bound)
    x = _points(spec, bound).requires_grad_(True)
    y = spec.forward(x, **values)
    if y.requires_grad:
        (auto,) = torch.autograd.grad(y.sum(), x)
    else:  # a piecewise-constant function
        auto = torch.zeros_like(x)
    analytic = spec.derivative(x.detach(), **values)
    rtol = 2.0 ** -24 if (spec.name, flavor) in FLOAT32_BACKWARD else 1e-9
    torch.testing.assert_close(analytic, auto, rtol=rtol, atol=1e-10)
    h = 1e-6
    xd = x.detach()
    fd = (spec.forward(xd + h, **values) - spec.forward(xd - h, **values)) / (2 * h)
    smooth = (xd.unsqueeze(1) - torch.tensor(spec.kink_points(bound) or [1e9],
                                             dtype=F64)).abs().min(1).values > 1e-4
    torch.testing.assert_close(analytic[smooth], fd[smooth], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("spec", "flavor", "bound"), SETTINGS)
def test_second_derivative_matches_autograd_and_finite_differences(spec, flavor, bound):
    if spec.second_derivative is None:
        pytest.fail(f"{spec.name} has no analytic second derivative")
    values = _scalar_values(spec, bound)
    x = _points(spec, bound).requires_grad_(True)
    first = spec.derivative(x, **values)
    analytic = spec.second_derivative(x.detach(), **values)
    if first.requires_grad:
        (auto,) = torch.autograd.grad(first.sum(), x)
        torch.testing.assert_close(analytic, auto, rtol=1e-8, atol=1e-9)
    else:  # a piecewise-constant derivative
        torch.testing.assert_close(analytic, torch.zeros_like(analytic))
    h = 1e-5
    xd = x.detach()
    fd = (spec.derivative(xd + h, **values) - spec.derivative(xd - h, **values)) / (2 * h)
    torch.testing.assert_close(analytic, fd, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("spec", "flavor", "bound"), SETTINGS)
def test_gradcheck_and_gradgradcheck_of_the_lean_function(spec, flavor, bound):
    x = _points(spec, bound, n=24, margin=1e-2).requires_grad_(True)
    values = _scalar_values(spec, bound)
    full = dict(bound)
    full.update(values)

    def fn(t):
        return apply_analytic(spec, t, full)

    assert torch.autograd.gradcheck(fn, (x,), eps=1e-6, atol=1e-6)
    assert torch.autograd.gradgradcheck(fn, (x,), eps=1e-6, atol=1e-5)


LEARNABLE = [s for s in ELEMENTWISE if s.learnable_params]


@pytest.mark.parametrize("spec", LEARNABLE, ids=lambda s: s.name)
def test_parameter_gradients_by_gradcheck(spec):
    """∂f/∂θ of learnable parameters, per channel, checked by finite differences."""
    bound = spec.bind(fill_examples=True)
    x = torch.randn(3, 4, 5, dtype=F64, generator=torch.Generator().manual_seed(1)) * 2
    for k in spec.kink_points(bound):
        x = torch.where((x - k).abs() < 1e-2, x + 0.05, x)
    names = [p.name for p in spec.learnable_params]
    tensors = [torch.full((4, 1), float(bound[n]) + 0.1 * i, dtype=F64)
               .add(torch.linspace(0, 0.3, 4, dtype=F64).unsqueeze(1)).requires_grad_(True)
               for i, n in enumerate(names)]

    def fn(t, *params):
        full = dict(bound)
        full.update(dict(zip(names, params)))
        return apply_analytic(spec, t, full)

    assert torch.autograd.gradcheck(fn, (x.requires_grad_(True), *tensors), eps=1e-6,
                                    atol=1e-6)


NATIVE = [pytest.param(spec, fl, bound, id=f"{spec.name}-{fl or 'canonical'}")
          for spec in ELEMENTWISE for variant, fl, bound in _flavor_settings(spec)
          if variant is spec
          if spec.uses_native(bound) and spec.kink_points(bound)]


@pytest.mark.parametrize(("spec", "flavor", "bound"), NATIVE)
def test_derivative_at_kinks_follows_pytorch(spec, flavor, bound):
    """At a kink the derivative is a convention; actlab's is PyTorch's autograd's."""
    kinks = torch.tensor(spec.kink_points(bound), dtype=F64)
    x = torch.cat([kinks, -kinks]).unique().requires_grad_(True)
    with force_implementation("native"):
        y = actlab.functional.call(spec.name, x, **{k: v for k, v in bound.items()
                                                    if spec.param(k).role == "math"})
    (torch_grad,) = torch.autograd.grad(y.sum(), x)
    analytic = spec.derivative(x.detach(), **_scalar_values(spec, bound))
    torch.testing.assert_close(analytic, torch_grad)
    with force_implementation("analytic"):
        x2 = x.detach().clone().requires_grad_(True)
        y2 = actlab.functional.call(spec.name, x2, **{k: v for k, v in bound.items()
                                                      if spec.param(k).role == "math"})
        (lean_grad,) = torch.autograd.grad(y2.sum(), x2)
    torch.testing.assert_close(lean_grad, torch_grad)
    torch.testing.assert_close(y2.detach(), y.detach())
