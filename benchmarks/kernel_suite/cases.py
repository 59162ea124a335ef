"""The benchmark cases: every catalog activation, plus flavors that change the kernel.

A case is an activation with bound parameters and an input shape. Each spec gets its
canonical parameters; a flavor whose parameters change which implementations exist
(PyTorch's thresholded softplus, JAX's tanh GELU, Keras 2's hard sigmoid) is a case too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from actlab.catalog.registry import registry, resolve
from actlab.catalog.spec import ActivationSpec
from actlab.kernels.kernel_table import fused_kernel

#: Size of the normalised dimension for vector and gated activations.
ROW = 1024


@dataclass(frozen=True)
class BenchCase:
    """One activation, its parameters and the shape of its input."""

    label: str
    spec: ActivationSpec
    bound: Mapping[str, Any]
    shape: tuple[int, ...]

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def output_numel(self) -> int:
        return self.numel // 2 if self.spec.kind == "gated" else self.numel

    def make_input(self, device: torch.device, dtype: torch.dtype, seed: int = 0
                   ) -> torch.Tensor:
        """Normal inputs with standard deviation 3: every piece of every function is hit."""
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(self.shape, generator=gen, dtype=torch.float32) * 3
        return x.to(device=device, dtype=dtype)


def shape_for(spec: ActivationSpec, numel: int) -> tuple[int, ...]:
    """An input of `numel` elements that the activation accepts."""
    if spec.name == "softmax2d":
        return (max(numel // (16 * 32 * 32), 1), 16, 32, 32)
    if spec.kind in ("vector", "gated"):
        return (max(numel // ROW, 1), ROW)
    return (numel,)


def _signature(spec: ActivationSpec, bound: Mapping[str, Any]) -> tuple:
    """What decides the implementations: a native op, and which fused kernel."""
    kernel = fused_kernel(spec, bound)
    return (spec.uses_native(bound), None if kernel is None else kernel.key[:2])


def cases_for(spec: ActivationSpec, numel: int) -> list[BenchCase]:
    """The canonical case and the flavors that change the implementations."""
    shape = shape_for(spec, numel)
    bound = spec.bind(fill_examples=True)
    cases = [BenchCase(spec.name, spec, bound, shape)]
    seen = {_signature(spec, bound)}
    for flavor in spec.flavors:
        fb = spec.bind(flavor=flavor, fill_examples=True)
        sig = _signature(spec, fb)
        if sig not in seen:
            seen.add(sig)
            cases.append(BenchCase(f"{flavor}:{spec.name}", spec, fb, shape))
    return cases


def catalog_cases(numel: int, only: Iterable[str] | None = None) -> list[BenchCase]:
    """Cases for every catalog activation, or for the activations named in `only`.

    A canonical name gives that activation's cases; any other spelling (with a flavor,
    parameters, ``keras:leaky_relu``, ``elu(0.5)``) or a formula gives exactly its case.
    """
    if not only:
        return [case for spec in registry().specs() for case in cases_for(spec, numel)]
    out: list[BenchCase] = []
    for text in only:
        resolved = resolve(text)
        spec = resolved.spec
        if text.strip() == spec.name:
            out.extend(cases_for(spec, numel))
        else:
            out.append(BenchCase(resolved.label, spec, resolved.bind(fill_examples=True),
                                 shape_for(spec, numel)))
    return out
