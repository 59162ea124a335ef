"""Which fused kernel implements a catalog activation, and the cached plan of one call.

`plan_for` is on every call's path: it caches, per spec and parameter values, what
exists (native op, fused kernel, compilable kernel), so that choosing costs a dict
lookup rather than building kernels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
    if spec.origin != "catalog" or spec.kind != "elementwise":
        return None
    builder = BUILDERS.get(spec.name)
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
        preferred_for_training=False,
    )


@dataclass(frozen=True, eq=False)
class Plan:
    """What can evaluate one spec with one set of parameter values."""

    spec: ActivationSpec
    has_native: bool
    native_inplace: bool
    kernel: FusedKernel | None
    compilable: FusedKernel | VectorKernel | None
    has_derivative: bool


_PLANS: dict[tuple, Plan] = {}
_MAX_PLANS = 4096


def _build_plan(spec: ActivationSpec, bound: Mapping[str, Any]) -> Plan:
    has_native = spec.uses_native(bound)
    kernel = fused_kernel(spec, bound)
    return Plan(spec=spec, has_native=has_native,
                native_inplace=has_native and spec.native_inplace, kernel=kernel,
                compilable=kernel or generic_kernel(spec, bound) or vector_kernel(spec, bound),
                has_derivative=spec.derivative is not None or spec.vjp is not None)


def plan_for(spec: ActivationSpec, bound: Mapping[str, Any]) -> Plan:
    """The (cached) plan for `spec` with bound parameters."""
    if any(isinstance(v, torch.Tensor) for v in bound.values()):
        return _build_plan(spec, bound)  # tensors change in place: never cached
    try:
        key = (spec.name, spec.origin, spec.source, tuple(bound.items()))
        plan = _PLANS.get(key)
    except TypeError:  # an unhashable parameter value
        return _build_plan(spec, bound)
    if plan is None or plan.spec is not spec:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = _build_plan(spec, bound)
    return plan
