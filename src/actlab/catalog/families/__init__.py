"""The built-in activations, one module per family; each module lists its specs in SPECS."""

from __future__ import annotations

import importlib

from actlab.catalog.spec import ActivationSpec

FAMILY_MODULES = (
    "rectifiers",
    "sigmoid",
    "exponential",
    "shrinkage",
    "self_gated",
    "softmax",
    "glu",
    "polynomial",
    "searched",
    "oscillating",
    "squashing",
    "nonmonotonic_gates",
    "rectifier_variants",
    "exponential_variants",
    "other_shapes",
    "glu_variants",
    "softmax_variants",
    "framework_units",
)


def all_specs() -> list[ActivationSpec]:
    specs: list[ActivationSpec] = []
    for module in FAMILY_MODULES:
        specs.extend(importlib.import_module(f"{__name__}.{module}").SPECS)
    return specs
