"""Which fused kernel implements a catalog activation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from actlab.catalog.spec import ActivationSpec
from actlab.kernels import piecewise, smooth
from actlab.kernels.fused import FusedKernel, KernelBuilder

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
