"""Recognising activation modules in any network: torch.nn, transformers, timm, actlab.

A module is an activation when its class is one of

- PyTorch's activations (`torch.nn.ReLU` ... the classes of `torch.nn.modules.activation`,
  MultiheadAttention aside);
- Hugging Face transformers' (`transformers.activations`: the classes of its ACT2FN table,
  GELUActivation, NewGELUActivation, ...);
- timm's (`timm.layers.activations` and `activations_me`: Swish, HardMishMe, ...),
  recognised by where the class is defined, so timm is never imported;
- actlab's own (`actlab.layers.Activation`).

Each is described by its library, its type, the constructor arguments it keeps as
attributes, and where one exists the catalog activation that computes the same function.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from actlab.catalog.registry import resolve
from actlab.errors import ActlabError
from actlab.layers import Activation

_TORCH_MODULE = "torch.nn.modules.activation"
_TORCH_NOT_ACTIVATIONS = frozenset({"MultiheadAttention"})
_TRANSFORMERS_MODULE = "transformers.activations"
_TIMM_MODULES = frozenset({"timm.layers.activations", "timm.layers.activations_me",
                           "timm.models.layers.activations",
                           "timm.models.layers.activations_me"})

#: The catalog spelling (transformers' dialect: its ACT2FN keys) of the function each
#: transformers class computes; checked against transformers itself by the tests.
TRANSFORMERS_EQUIVALENTS = {
    "GELUActivation": "transformers:gelu",
    "GELUTanh": "transformers:gelu_pytorch_tanh",
    "NewGELUActivation": "transformers:gelu_new",
    "FastGELUActivation": "transformers:gelu_fast",
    "AccurateGELUActivation": "transformers:gelu_accurate",
    "QuickGELUActivation": "transformers:quick_gelu",
    "MishActivation": "transformers:mish",
    "SiLUActivation": "transformers:silu",
    "LinearActivation": "transformers:linear",
    "ReLUSquaredActivation": "transformers:relu2",
    "LaplaceActivation": "transformers:laplace",
    "SqrtSoftplusActivation": "transformers:sqrtsoftplus",
}
#: The same for timm's classes (timm's dialect: its activation names); the `Me` variants
#: compute the same function with a memory-saving backward.
TIMM_EQUIVALENTS = {
    "Swish": "timm:swish", "SwishMe": "timm:swish", "Mish": "timm:mish",
    "MishMe": "timm:mish", "Sigmoid": "timm:sigmoid", "Tanh": "timm:tanh",
    "HardSwish": "timm:hard_swish", "HardSwishMe": "timm:hard_swish",
    "HardSigmoid": "timm:hard_sigmoid", "HardSigmoidMe": "timm:hard_sigmoid",
    "HardMish": "timm:hard_mish", "HardMishMe": "timm:hard_mish", "PReLU": "timm:prelu",
    "GELU": "timm:gelu", "GELUTanh": "timm:gelu_tanh", "QuickGELU": "timm:quick_gelu",
}


@dataclass(frozen=True)
class ActivationKind:
    """What an activation module is: library, type, parameters, catalog equivalent."""

    library: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    equivalent: str | None = None
    elementwise: bool = True

    @property
    def inplace(self) -> bool:
        return bool(self.params.get("inplace", False))

    def describe(self) -> str:
        """`torch.nn.LeakyReLU(negative_slope=0.2, inplace=True)`."""
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.params.items())
        return f"{self.type}({shown})"


def _show(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor{tuple(value.shape)}" if value.numel() > 1 else f"{float(value):.6g}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _kept_arguments(module: nn.Module) -> dict[str, Any]:
    """The constructor's arguments that the module keeps as attributes of the same name."""
    try:
        names = list(inspect.signature(type(module).__init__).parameters)[1:]
    except (TypeError, ValueError):
        return {}
    values = {}
    for name in names:
        if name in ("args", "kwargs", "device", "dtype"):
            continue
        value = getattr(module, name, inspect.Parameter.empty)
        if isinstance(value, bool | int | float | str | None) or (
                isinstance(value, torch.Tensor) and value.numel() <= 64):
            values[name] = value.detach().clone() if isinstance(value, torch.Tensor) \
                else value
    return values


def _transformers_classes() -> frozenset[type]:
    """The classes of transformers' ACT2FN table, when transformers is already loaded."""
    table = getattr(sys.modules.get(_TRANSFORMERS_MODULE), "ACT2CLS", None)
    if not isinstance(table, dict):
        return frozenset()
    return frozenset(v[0] if isinstance(v, tuple) else v for v in table.values()
                     if isinstance(v[0] if isinstance(v, tuple) else v, type))


def activation_kind(module: nn.Module) -> ActivationKind | None:
    """What kind of activation `module` is; None when it is not one actlab recognises."""
    cls = type(module)
    if isinstance(module, Activation):
        explicit = getattr(module, "_explicit", set())  # what was chosen, not every default
        params = {k: v for k, v in module.params.items()
                  if k in explicit and not isinstance(v, torch.Tensor)}
        if module.inplace:
            params["inplace"] = True
        return ActivationKind("actlab", f"actlab:{module.spec.name}", params,
                              module.spec.name, module.spec.kind == "elementwise")
    if cls.__module__ == _TORCH_MODULE and cls.__name__ not in _TORCH_NOT_ACTIVATIONS:
        params = _kept_arguments(module)
        equivalent, elementwise = _torch_equivalent(cls.__name__, params)
        return ActivationKind("torch", f"torch.nn.{cls.__name__}", params, equivalent,
                              elementwise)
    if cls.__module__ == _TRANSFORMERS_MODULE or cls in _transformers_classes():
        params = _kept_arguments(module)
        equivalent = TRANSFORMERS_EQUIVALENTS.get(cls.__name__)
        if cls.__name__ == "ClippedGELUActivation":  # its bounds are its own
            equivalent = (f"clipped_gelu(min_value={module.min!r}, "
                          f"max_value={module.max!r})")
        return ActivationKind("transformers", f"transformers.{cls.__name__}", params,
                              equivalent)
    if cls.__module__ in _TIMM_MODULES:
        return ActivationKind("timm", f"timm.{cls.__name__}", _kept_arguments(module),
                              TIMM_EQUIVALENTS.get(cls.__name__))
    return None


def _torch_equivalent(name: str, params: dict[str, Any]) -> tuple[str | None, bool]:
    """The catalog spelling of a torch.nn class with its parameters, and whether it acts
    element by element (softmax and GLU act on vectors)."""
    try:
        resolved = resolve(f"torch.nn.{name}")
    except ActlabError:
        return None, True
    names = {p.name for p in resolved.spec.params if p.role != "layout"}
    shown = [f"{k}={v!r}" for k, v in params.items()
             if k in names and not isinstance(v, torch.Tensor)]
    text = resolved.spec.name + (f"({', '.join(shown)})" if shown else "")
    return text, resolved.spec.kind == "elementwise"
