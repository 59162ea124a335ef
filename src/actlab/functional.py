"""Every catalog activation as a function: ``actlab.functional.leaky_relu(x, 0.2)``.

Functions take the tensor, then the activation's parameters (positionally in the
spec's order, or by name, in any flavor's spelling), and an optional ``flavor``.
Each function resolves a call signature (its parameters, flavor, ``inplace``, the kernel
preference) once and keeps the implementation it chose, like a module: a later call with
the same signature goes straight to that code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from actlab.catalog.registry import registry, resolve
from actlab.errors import ParameterError
from actlab.kernels.choice import (
    Implementation,
    forced_implementation,
    implementation_for,
    preference,
)

__all__ = ["activation", "call"]

_MAX_SIGNATURES = 1024


class _Chosen:
    """One call signature's resolution: the implementation and what the call needs."""

    __slots__ = ("implementation", "learned", "train_forward")

    def __init__(self, implementation: Implementation, learned: dict[str, torch.Tensor],
                 train_forward: Callable[[torch.Tensor], torch.Tensor] | None) -> None:
        self.implementation = implementation
        self.learned = learned
        self.train_forward = train_forward


def _resolve_call(name: str, args: tuple, flavor: str | None, inplace: bool,
                  params: dict[str, Any]) -> _Chosen:
    resolved = resolve(f"{flavor}:{name}" if flavor else name)
    spec = resolved.spec
    math = [p.name for p in spec.math_params]
    if len(args) > len(math):
        raise ParameterError(f"{spec.name} takes at most {len(math)} positional parameters")
    params = dict(params)
    for key, value in zip(math, args):
        if key in params:
            raise ParameterError(f"{spec.name}: {key} given twice")
        params[key] = value
    bound = resolved.bind(params)
    impl = implementation_for(spec, bound, inplace=inplace)
    values = spec.math_values(bound)
    learned = {k: v for k, v in values.items() if isinstance(v, torch.Tensor)}
    train = None
    if spec.train_forward is not None:
        def train(x: torch.Tensor) -> torch.Tensor:
            return spec.train_forward(x, **values)
    return _Chosen(impl, learned, train)


def _holds_tensor(args: tuple, params: dict[str, Any]) -> bool:
    return (any(isinstance(a, torch.Tensor) for a in args)
            or any(isinstance(v, torch.Tensor) for v in params.values()))


class ActivationFunction:
    """``actlab.functional.<name>``: the activation as a function, resolving once per call
    signature."""

    def __init__(self, name: str) -> None:
        spec = resolve(name).spec
        self.name = name
        self.__name__ = self.__qualname__ = spec.name
        self.__doc__ = f"{spec.summary}\n\n{spec.latex}"
        self._chosen: dict[tuple, _Chosen] = {}
        self._registry = registry()
        self._version = self._registry.version

    def __call__(self, x: torch.Tensor, *args: Any, flavor: str | None = None,
                 training: bool = False, inplace: bool = False, **params: Any
                 ) -> torch.Tensor:
        key: tuple | None = (args, tuple(params.items()), flavor, inplace, preference(),
                             forced_implementation(), self._registry.version)
        chosen = None
        if (args or params) and _holds_tensor(args, params):
            key = None  # tensors hash by identity and change in place: never kept
        else:
            try:
                chosen = self._chosen.get(key)
            except TypeError:  # an unhashable parameter: resolved each time
                key = None
        if chosen is None:
            chosen = _resolve_call(self.name, args, flavor, inplace, params)
            if key is not None:
                if len(self._chosen) >= _MAX_SIGNATURES or key[-1] != self._version:
                    self._version = key[-1]  # the registry changed: older choices are stale
                    self._chosen.clear()
                self._chosen[key] = chosen
        if training and chosen.train_forward is not None:
            return chosen.train_forward(x)
        if chosen.learned:
            return chosen.implementation.run(x, **chosen.learned)
        return chosen.implementation.run(x)

    def __repr__(self) -> str:
        return f"<actlab.functional.{self.__name__}>"


def call(name: str, x: torch.Tensor, *args: Any, flavor: str | None = None,
         training: bool = False, inplace: bool = False, **params: Any) -> torch.Tensor:
    """Apply the activation that `name` resolves to (a name, spelling or formula)."""
    return activation(name)(x, *args, flavor=flavor, training=training, inplace=inplace,
                            **params)


_FUNCTIONS: dict[str, ActivationFunction] = {}


def activation(name: str) -> ActivationFunction:
    """The function for one activation, named after it (one object per name)."""
    fn = _FUNCTIONS.get(name)
    if fn is None:
        if len(_FUNCTIONS) >= _MAX_SIGNATURES:
            _FUNCTIONS.clear()
        fn = _FUNCTIONS[name] = ActivationFunction(name)
    return fn


def __getattr__(name: str) -> ActivationFunction:
    if name.startswith("__"):
        raise AttributeError(name)
    if name not in registry():
        raise AttributeError(f"actlab.functional has no activation {name!r}")
    fn = activation(name)
    if name == fn.__name__:
        # Later lookups of a canonical name find it directly, without this function.
        globals()[name] = fn
    return fn


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(registry().names()))
