"""Inputs, settings and tolerances shared by the kernel tests.

Expected values come from the catalog spec evaluated in float64 (its `forward` and
analytic `derivative`, which the catalog's own tests check against PyTorch, Keras, JAX
and finite differences) or from PyTorch's native op: never from actlab.kernels.
"""

from __future__ import annotations

import math

import pytest
import torch

from actlab.catalog import registry
from actlab.catalog.spec import ActivationSpec

F64 = torch.float64
DTYPES = [torch.float64, torch.float32, torch.float16, torch.bfloat16]

#: Tolerances per dtype, for values and gradients relative to float64 truth rounded to
#: the dtype: a few units in the last place.
TOLERANCE = {
    torch.float64: {"rtol": 1e-12, "atol": 1e-12},
    torch.float32: {"rtol": 1e-5, "atol": 1e-6},
    torch.float16: {"rtol": 4e-3, "atol": 1e-3},
    torch.bfloat16: {"rtol": 3e-2, "atol": 1e-2},
}


def settings_of(spec: ActivationSpec) -> list[tuple[str, dict]]:
    """The canonical parameters and every flavor's that differ from them."""
    out = [("canonical", spec.bind(fill_examples=True))]
    for name in spec.flavors:
        bound = spec.bind(flavor=name, fill_examples=True)
        if all(bound != b for _, b in out):
            out.append((name, bound))
    return out


def elementwise_settings() -> list:
    return [pytest.param(spec, bound, id=f"{spec.name}-{label}")
            for spec in registry().specs() if spec.kind == "elementwise"
            for label, bound in settings_of(spec)]


def sample_points(spec: ActivationSpec, bound: dict, n: int = 200, seed: int = 0
                ) -> torch.Tensor:
    """float64 points: a grid, normals, large values, every kink exactly and just beside it."""
    gen = torch.Generator().manual_seed(seed)
    kinks = [float(k) for k in spec.kink_points(bound) if math.isfinite(k)]
    beside = [v for k in kinks for v in (math.nextafter(k, -math.inf),
                                         math.nextafter(k, math.inf), k - 1e-3, k + 1e-3)]
    return torch.cat([
        torch.linspace(-8, 8, n, dtype=F64),
        torch.randn(n, generator=gen, dtype=F64) * 3,
        torch.tensor([0.0, -30.0, 30.0, -200.0, 200.0, 1e4, -1e4, *kinks, *beside], dtype=F64),
    ])


def representable(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The points as `dtype` values (rounded), then back in float64: the exact inputs."""
    return x.to(dtype).to(F64).unique()
