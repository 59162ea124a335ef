"""Pick the implementation of an activation: PyTorch's native op or a lean Function.

``auto`` uses the native op where one exists for the given parameters and the lean
analytic Function otherwise. ``force_implementation`` overrides the choice (for tests
and benchmarks): ``native``, ``analytic`` or ``reference`` (the eager formula, with
autograd through every intermediate: what an activation zoo would do).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import torch

from actlab.catalog.spec import ActivationSpec
from actlab.errors import ActlabError
from actlab.kernels.analytic import apply_analytic

IMPLEMENTATIONS = ("auto", "native", "analytic", "reference")

_state = threading.local()


def current_implementation() -> str:
    return getattr(_state, "forced", "auto")


@contextlib.contextmanager
def force_implementation(name: str) -> Iterator[None]:
    """Within the block, every activation uses implementation `name`."""
    if name not in IMPLEMENTATIONS:
        raise ActlabError(f"unknown implementation {name!r}; choose one of "
                          f"{', '.join(IMPLEMENTATIONS)}")
    previous = current_implementation()
    _state.forced = name
    try:
        yield
    finally:
        _state.forced = previous


def choose(spec: ActivationSpec, params: Mapping[str, Any], requested: str = "auto") -> str:
    """The implementation that `apply` will use."""
    forced = current_implementation()
    mode = forced if forced != "auto" else requested
    if mode == "auto":
        return "native" if spec.uses_native(params) else "analytic"
    if mode == "native" and not spec.uses_native(params):
        raise ActlabError(f"{spec.name} has no native PyTorch op for these parameters")
    if mode == "analytic" and spec.derivative is None and spec.vjp is None:
        return "reference"
    return mode


def apply(spec: ActivationSpec, x: torch.Tensor, params: Mapping[str, Any], *,
          training: bool = False, inplace: bool = False,
          implementation: str = "auto") -> torch.Tensor:
    """Evaluate `spec` on `x` with bound `params` (from `spec.bind`)."""
    values = spec.math_values(params)
    if training and spec.train_forward is not None:
        return spec.train_forward(x, **values)
    mode = choose(spec, params, implementation)
    if mode == "native":
        if spec.native_inplace:
            return spec.native(x, inplace=inplace, **values)
        return spec.native(x, **values)
    if mode == "analytic":
        return apply_analytic(spec, x, params)
    return spec.forward(x, **values)
