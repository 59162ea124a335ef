"""Call the real PyTorch, Keras 3 and JAX function behind a flavor spelling.

A spelling such as ``keras.layers.LeakyReLU`` or ``torch.nn.functional.elu`` names the
independent reference: these helpers import it and call it with the framework's own
parameter names and values, so that a test compares actlab's numbers with the
framework's, never with actlab's own.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")

from actlab.catalog.spec import ActivationSpec, Flavor  # noqa: E402

FRAMEWORK_PREFIXES = {"torch": ("torch.",), "keras": ("keras.",), "jax": ("jax.",)}


def import_reference(spelling: str) -> Any:
    """The object a dotted spelling names, e.g. keras.layers.PReLU."""
    module_name, _, attr = spelling.rpartition(".")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def is_class(obj: Any) -> bool:
    return inspect.isclass(obj)


def _signature_params(ref: Any) -> list[inspect.Parameter]:
    target = ref.__init__ if inspect.isclass(ref) else ref
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        sig = _signature_from_doc(target)
    return [p for p in sig.parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            and p.name not in ("self", "x", "input", "inputs", "a", "inplace")]


def _signature_from_doc(fn: Any) -> inspect.Signature:
    """Builtins like F.prelu document their signature on the docstring's first line."""
    first = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
    match = re.match(r"\w+\((.*?)\)", first)
    params = []
    for part in (match.group(1).split(",") if match else []):
        name, _, default = part.strip().partition("=")
        name = name.strip().lstrip("*")
        if name.isidentifier():
            params.append(inspect.Parameter(
                name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=default.strip() if default else inspect.Parameter.empty))
    return inspect.Signature(params)


def accepted_names(ref: Any) -> set[str]:
    """Parameter names the reference function or class accepts (besides the input)."""
    return {p.name for p in _signature_params(ref)}


def required_names(ref: Any) -> set[str]:
    """Parameters the reference cannot be called without (F.prelu's weight)."""
    return {p.name for p in _signature_params(ref) if p.default is inspect.Parameter.empty}


def framework_name(fl: Flavor, canonical: str, accepted: set[str]) -> str | None:
    """How the framework spells a canonical parameter (None if it has no such parameter)."""
    if canonical in accepted:
        return canonical
    for fw, can in fl.renames.items():
        if can == canonical and fw in accepted:
            return fw
    return None


def framework_value(spec: ActivationSpec, framework: str, canonical: str, value: Any) -> Any:
    param = spec.param(canonical)
    if param.value_map and framework != "torch":
        inverse = {v: k for k, v in param.value_map.items()}
        return inverse.get(value, value)
    return value


def call_reference(framework: str, spelling: str, x: torch.Tensor,
                   kwargs: Mapping[str, Any]) -> torch.Tensor:
    """Evaluate the framework's own function on x (float64 comes back as float64)."""
    ref = import_reference(spelling)
    if framework == "jax":
        import jax.numpy as jnp

        xj = jnp.asarray(x.detach().cpu().numpy())
        out = ref(xj, **kwargs)
        return torch.from_numpy(np.array(out))
    if is_class(ref):
        layer = ref(**kwargs)
        if isinstance(layer, torch.nn.Module):
            layer.eval()  # RReLU's reference is its deterministic evaluation mode
        return layer(x)
    return ref(x, **kwargs)


def jax_float64():
    import jax

    jax.config.update("jax_enable_x64", True)
