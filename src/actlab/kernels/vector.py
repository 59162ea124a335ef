"""Vector activations (the GLU family, sparsemax) as kernels that a compiler can fuse.

A `VectorKernel` is a spec's forward and vector-Jacobian product with its scalar
parameters bound. `VectorKernelFunction` saves the one tensor the vjp reads (the input,
or the output where the vjp says ``uses_output``) and evaluates both through a runner:
`compiled.py` compiles them, so that splitting, gating and the product are one loop.
Eagerly these functions run through `analytic.VectorFunction`, cache-blocked by rows.
Specs with a native vector op (softmax, log-softmax, GLU) keep it: no kernel here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from actlab.catalog.spec import ActivationSpec
from actlab.kernels.precision import upcast

Tensor = torch.Tensor

@dataclass(frozen=True, eq=False)
class VectorKernel:
    """f along a dimension, and its vjp from the saved input or output.

    `forward(x)` and `vjp(saved, grad)` return tensors of x's dtype; half-precision
    inputs are computed in float32, as PyTorch's kernels do. `saves` is "input" or
    "output".
    """

    key: tuple
    saves: str
    forward: Callable[[Tensor], Tensor]
    vjp: Callable[[Tensor, Tensor], Tensor]


def vector_kernel(spec: ActivationSpec, bound: Mapping[str, Any]) -> VectorKernel | None:
    """The kernel of a vector spec with scalar parameters, a vjp and no native op."""
    if spec.kind == "elementwise" or spec.vjp is None or spec.uses_native(bound):
        return None
    values = spec.math_values(bound)
    if any(isinstance(v, Tensor) for v in values.values()):
        return None
    forward_fn, vjp_fn = spec.forward, spec.vjp

    def forward(x: Tensor) -> Tensor:
        return forward_fn(upcast(x), **values).to(x.dtype)

    def vjp(saved: Tensor, grad: Tensor) -> Tensor:
        return vjp_fn(upcast(saved), upcast(grad), **values).to(saved.dtype)

    return VectorKernel(
        key=(spec.name, "vector", spec.origin, spec.source, tuple(sorted(values.items()))),
        saves="output" if getattr(spec.vjp, "uses_output", False) else "input",
        forward=forward, vjp=vjp)


class VectorRunner(Protocol):
    """Evaluates a vector kernel's forward and vjp (compiled, or eagerly)."""

    def vector_forward(self, kernel: VectorKernel, x: Tensor) -> Tensor: ...

    def vector_backward(self, kernel: VectorKernel, saved: Tensor, grad: Tensor
                        ) -> Tensor: ...


class VectorKernelFunction(torch.autograd.Function):
    """Autograd for a VectorKernel: saves one tensor, the input or the output."""

    @staticmethod
    def forward(ctx, x: Tensor, kernel: VectorKernel, runner: VectorRunner) -> Tensor:
        y = runner.vector_forward(kernel, x)
        ctx.kernel = kernel
        ctx.runner = runner
        ctx.save_for_backward(y if kernel.saves == "output" else x)
        return y

    @staticmethod
    def backward(ctx, grad: Tensor):
        (saved,) = ctx.saved_tensors
        kernel: VectorKernel = ctx.kernel
        if torch.is_grad_enabled():  # double backward: the formulas, with autograd
            return kernel.vjp(saved, grad), None, None
        return ctx.runner.vector_backward(kernel, saved, grad), None, None


def apply_vector(kernel: VectorKernel, x: Tensor, runner: VectorRunner) -> Tensor:
    """f(x) through the kernel: the lean Function when a gradient is needed."""
    if torch.is_grad_enabled() and x.requires_grad:
        return VectorKernelFunction.apply(x, kernel, runner)
    return runner.vector_forward(kernel, x)
