"""Lean autograd Functions built from a spec's analytic derivatives.

An eager composite (``x * torch.sigmoid(1.702 * x)``) keeps every intermediate for
backward. These Functions keep only the input (or, for vector functions whose
gradient needs it, the output) and compute the gradient from the analytic
derivative, so memory for backward is one tensor the size of the input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from actlab.catalog.spec import ActivationSpec
from actlab.kernels.precision import LOW_PRECISION, upcast

Tensor = torch.Tensor

def reduce_to_shape(grad: Tensor, shape: torch.Size) -> Tensor:
    """Sum a broadcast gradient back to the shape of the parameter it belongs to."""
    if grad.shape == shape:
        return grad
    extra = grad.dim() - len(shape)
    if extra > 0:
        grad = grad.sum(dim=tuple(range(extra)))
    dims = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if dims:
        grad = grad.sum(dim=dims, keepdim=True)
    return grad.reshape(shape)


class ElementwiseFunction(torch.autograd.Function):
    """f(x; θ) applied per element; backward uses the spec's f' and ∂f/∂θ.

    Scalar parameters travel as Python numbers; learnable ones as tensors (listed in
    `tensor_names`), which receive gradients. Only `x` and those tensors are saved.
    """

    @staticmethod
    def forward(ctx, x: Tensor, spec: ActivationSpec, scalars: Mapping[str, Any],
                tensor_names: tuple[str, ...], *tensors: Tensor) -> Tensor:
        params = dict(scalars)
        params.update({n: upcast(t) for n, t in zip(tensor_names, tensors)})
        ctx.spec = spec
        ctx.scalars = scalars
        ctx.tensor_names = tensor_names
        ctx.save_for_backward(x, *tensors)
        return spec.forward(upcast(x), **params).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, *tensors = ctx.saved_tensors
        spec: ActivationSpec = ctx.spec
        params = dict(ctx.scalars)
        params.update({n: upcast(t) for n, t in zip(ctx.tensor_names, tensors)})
        xc = upcast(x)
        gc = upcast(grad)
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = (gc * spec.derivative(xc, **params)).to(x.dtype)
        grads = []
        for i, (name, t) in enumerate(zip(ctx.tensor_names, tensors)):
            if ctx.needs_input_grad[4 + i]:
                partial = spec.param_gradients[name](xc, **params)
                grads.append(reduce_to_shape(gc * partial, t.shape).to(t.dtype))
            else:
                grads.append(None)
        return (grad_x, None, None, None, *grads)


class VectorFunction(torch.autograd.Function):
    """A function along one dimension (softmax-like, gated); backward uses the spec's vjp."""

    @staticmethod
    def forward(ctx, x: Tensor, spec: ActivationSpec, params: Mapping[str, Any]) -> Tensor:
        ctx.spec = spec
        ctx.params = params
        out = spec.forward(upcast(x), **params).to(x.dtype)
        if getattr(spec.vjp, "uses_output", False):
            ctx.save_for_backward(out)
        else:
            ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        (saved,) = ctx.saved_tensors
        spec: ActivationSpec = ctx.spec
        grad_x = spec.vjp(upcast(saved), upcast(grad), **ctx.params).to(saved.dtype)
        return grad_x, None, None


def apply_analytic(spec: ActivationSpec, x: Tensor, params: Mapping[str, Any]) -> Tensor:
    """Evaluate `spec` through its lean autograd Function (no native op involved)."""
    values = spec.math_values(params)
    tensor_names = tuple(k for k, v in values.items() if isinstance(v, Tensor))
    if not tensor_names:
        return analytic_function(spec, values)(x)
    if spec.kind != "elementwise":
        return VectorFunction.apply(x, spec, values)
    if spec.derivative is None:
        raise TypeError(f"{spec.name} has no analytic derivative")
    scalars = {k: v for k, v in values.items() if k not in tensor_names}
    return ElementwiseFunction.apply(x, spec, scalars, tensor_names,
                                     *(values[k] for k in tensor_names))


def analytic_function(spec: ActivationSpec, scalars: Mapping[str, Any]
                      ) -> Callable[[Tensor], Tensor]:
    """x ↦ f(x) with scalar parameters bound: the lean Function when a gradient is
    needed, the formula alone when not."""
    if spec.kind == "elementwise" and spec.derivative is None:
        raise TypeError(f"{spec.name} has no analytic derivative")
    if spec.kind != "elementwise" and spec.vjp is None:
        raise TypeError(f"{spec.name} has no analytic vector-Jacobian product")
    function = ElementwiseFunction if spec.kind == "elementwise" else VectorFunction
    extra = ((),) if spec.kind == "elementwise" else ()
    forward = spec.forward

    def run(x: Tensor) -> Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            return function.apply(x, spec, scalars, *extra)
        if x.dtype in LOW_PRECISION:
            return forward(x.float(), **scalars).to(x.dtype)
        return forward(x, **scalars)
    return run
