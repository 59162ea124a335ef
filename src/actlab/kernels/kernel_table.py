"""Which fused (or compilable) kernel implements a catalog activation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from actlab.catalog.spec import ActivationSpec
from actlab.kernels import piecewise, smooth
from actlab.kernels.fused import FusedKernel, KernelBuilder
from actlab.kernels.vector import VectorKernel, vector_kernel

BUILDERS: dict[str, KernelBuilder] = {**piecewise.BUILDERS, **smooth.BUILDERS}


def fused_kernel(spec: ActivationSpec, bound: Mapping[str, Any]) -> FusedKernel | None:
    """The fused kernel for `spec` with bound parameters, or None.

    Kernels are written for the catalog's own specs (by name); a user's spec or formula
    gets the generic analytic Function instead.
    """
    if spec.kind != "elementwise":
        return None
    if spec.origin == "catalog":
        builder = BUILDERS.get(spec.name)
    elif spec.origin == "flavor":  # a framework's own kink conventions (piecewise.py)
        builder = piecewise.FLAVOR_BUILDERS.get((spec.name, spec.source))
    else:
        return None
    if builder is None:
        return None
    # Tensor parameters (a learned PReLU slope) need their own gradients: not fused.
    if any(isinstance(v, torch.Tensor) for v in spec.math_values(bound).values()):
        return None
    return builder(spec, bound)


def generic_kernel(spec: ActivationSpec, bound: Mapping[str, Any]) -> FusedKernel | None:
    """Any elementwise spec as a kernel that saves its input: f from `forward`, f′ from
    `derivative` (what the analytic Function computes; compiled, it becomes one loop)."""
    if spec.kind != "elementwise" or spec.derivative is None:
        return None
    values = spec.math_values(bound)
    if any(isinstance(v, torch.Tensor) for v in values.values()):
        return None
    forward, derivative = spec.forward, spec.derivative
    return FusedKernel(
        key=(spec.name, "generic", spec.origin, spec.source, tuple(sorted(values.items()))),
        saves="input",
        value=lambda x: forward(x, **values),
        from_input=lambda g, x: g * derivative(x, **values),
        upcast=True,
        lean=False,
    )


def compilable_kernel(spec: ActivationSpec, bound: Mapping[str, Any]
                      ) -> FusedKernel | VectorKernel | None:
    """What `compiled` compiles: the fused kernel, else the spec's formulas (elementwise,
    or along a dimension), or None (tensor parameters, no derivative, a native vector op)."""
    return fused_kernel(spec, bound) or generic_kernel(spec, bound) or vector_kernel(spec, bound)
