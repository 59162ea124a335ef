"""Every catalog activation as a function: ``actlab.functional.leaky_relu(x, 0.2)``.

Functions take the tensor, then the activation's parameters (positionally in the
spec's order, or by name, in any flavor's spelling), and an optional ``flavor``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from actlab.catalog.registry import registry, resolve
from actlab.errors import ParameterError
from actlab.kernels.dispatch import apply

__all__ = ["activation", "call"]


def call(name: str, x: torch.Tensor, *args: Any, flavor: str | None = None,
         training: bool = False, inplace: bool = False, **params: Any) -> torch.Tensor:
    """Apply the activation that `name` resolves to (a name, spelling or formula)."""
    resolved = resolve(f"{flavor}:{name}" if flavor else name)
    spec = resolved.spec
    math = [p.name for p in spec.math_params]
    if len(args) > len(math):
        raise ParameterError(f"{spec.name} takes at most {len(math)} positional parameters")
    for key, value in zip(math, args):
        if key in params:
            raise ParameterError(f"{spec.name}: {key} given twice")
        params[key] = value
    bound = resolved.bind(params)
    return apply(spec, x, bound, training=training, inplace=inplace)


def activation(name: str) -> Callable[..., torch.Tensor]:
    """The function for one activation, named after it."""
    spec = resolve(name).spec

    def fn(x: torch.Tensor, *args: Any, **params: Any) -> torch.Tensor:
        return call(name, x, *args, **params)

    fn.__name__ = spec.name
    fn.__qualname__ = spec.name
    fn.__doc__ = f"{spec.summary}\n\n{spec.latex}"
    return fn


def __getattr__(name: str) -> Callable[..., torch.Tensor]:
    if name.startswith("__"):
        raise AttributeError(name)
    if name not in registry():
        raise AttributeError(f"actlab.functional has no activation {name!r}")
    return activation(name)


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(registry().names()))
