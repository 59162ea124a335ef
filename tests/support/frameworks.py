"""Call the real framework behind a flavor spelling: its values and its input gradients.

A spelling such as ``keras.layers.LeakyReLU``, ``tf.nn.leaky_relu``, ``jax.nn.hard_tanh``,
``transformers:gelu_new`` or ``timm:hard_mish`` names the independent reference: these
helpers import it and call it with the framework's own parameter names and values (in
float32 or float64), and take its gradient with the framework's own autodiff, so that a
test compares actlab's numbers with the framework's, never with actlab's own.

Keras 3 runs on its torch backend (the `keras` flavor follows it there); Keras 2 is the
real thing, `tf_keras` on TensorFlow; timm's activation files are loaded on their own
(`timm_activations`), without the timm package, which imports torchvision.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import os
import re
import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from actlab.catalog.spec import ActivationSpec, Flavor  # noqa: E402

#: The package each flavor is checked against (its version goes into test messages).
FRAMEWORK_PACKAGES = {
    "torch": "torch", "keras": "keras", "keras2": "tf_keras", "tf": "tensorflow",
    "jax": "jax", "flax": "flax", "transformers": "transformers", "timm": "timm",
}

#: The Python module each flavor needs (tensorflow-cpu installs `tensorflow`).
FRAMEWORK_MODULES = {"keras2": "tf_keras", "tf": "tensorflow"}

#: How each flavor's spellings start (`transformers:` and `timm:` are keys of their
#: framework's own name tables).
FRAMEWORK_PREFIXES = {
    "torch": ("torch.",), "keras": ("keras.",), "keras2": ("tf.keras.", "keras2."),
    "tf": ("tf.nn.",), "jax": ("jax.",), "flax": ("flax.",),
    "transformers": ("transformers:",), "timm": ("timm:",),
}


def framework_version(framework: str) -> str:
    """``"tf_keras 2.21.0"``: the installed package a flavor was checked against."""
    package = FRAMEWORK_PACKAGES[framework]
    distribution = {"tf_keras": "tf-keras", "tensorflow": "tensorflow-cpu"}.get(package,
                                                                               package)
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        version = importlib.metadata.version(package)
    return f"{package} {version}"


def framework_available(framework: str) -> bool:
    module = FRAMEWORK_MODULES.get(framework, FRAMEWORK_PACKAGES[framework])
    return importlib.util.find_spec(module) is not None


# -- timm's activation files, without the timm package ---------------------------------------
_TIMM_PACKAGE = "_actlab_tests_timm_layers"


def timm_activations() -> types.ModuleType:
    """timm's `create_act` module (with `activations` and `activations_me`), loaded from
    the installed timm's files under a private package name: `timm/__init__.py` imports
    torchvision, which the CPU build of torch here cannot load, and the activation
    files need none of it."""
    name = f"{_TIMM_PACKAGE}.create_act"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("timm is not installed")
    layers = os.path.join(list(spec.submodule_search_locations)[0], "layers")
    package = types.ModuleType(_TIMM_PACKAGE)
    package.__path__ = [layers]  # relative imports (`.activations`, `.config`) land here
    sys.modules[_TIMM_PACKAGE] = package
    return importlib.import_module(name)


# -- the reference object behind a spelling ----------------------------------------------------
def import_reference(spelling: str) -> Any:
    """The function or class a spelling names (a factory for transformers' and timm's keys)."""
    if spelling.startswith("tf.keras."):
        obj: Any = importlib.import_module("tf_keras")
        for part in spelling.split(".")[2:]:
            obj = getattr(obj, part)
        return obj
    if spelling.startswith("keras2.layers."):
        return getattr(importlib.import_module("tf_keras").layers, spelling.split(".")[-1])
    if spelling.startswith("tf.nn."):
        return getattr(importlib.import_module("tensorflow").nn, spelling.split(".")[-1])
    if spelling.startswith("transformers:"):
        from transformers.activations import ACT2CLS

        entry = ACT2CLS[spelling.split(":", 1)[1]]
        cls, fixed = entry if isinstance(entry, tuple) else (entry, {})
        return _Factory(cls, dict(fixed))
    if spelling.startswith("timm:"):
        return timm_activations().get_act_layer(spelling.split(":", 1)[1])
    module_name, _, attr = spelling.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


@dataclass(frozen=True)
class _Factory:
    """transformers' ACT2FN entry: a module class with the arguments its key fixes."""

    cls: type
    fixed: Mapping[str, Any]

    def __call__(self) -> torch.nn.Module:
        return self.cls(**self.fixed)


def is_class(obj: Any) -> bool:
    return inspect.isclass(obj) or isinstance(obj, _Factory)


def _signature_params(ref: Any) -> list[inspect.Parameter]:
    if isinstance(ref, _Factory):
        return []  # an ACT2FN key takes no arguments
    target = ref.__init__ if inspect.isclass(ref) else ref
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        sig = _signature_from_doc(target)
    return [p for p in sig.parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            and p.name not in ("self", "x", "input", "inputs", "features", "a", "inplace",
                               "name", "parent")]


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


def reference_kwargs(spec: ActivationSpec, framework: str, spelling: str,
                     overrides: Mapping[str, Any]) -> dict[str, Any] | None:
    """The framework-named arguments for the reference: its required parameters and
    `overrides`; None where the reference cannot take one of them."""
    ref = import_reference(spelling)
    accepted = accepted_names(ref)
    needed = required_names(ref)
    fl = spec.flavors[framework]
    defaults = spec.defaults(framework)
    kwargs = {}
    for p in spec.params:
        name = framework_name(fl, p.name, accepted)
        value = overrides.get(p.name, p.example if p.required else defaults[p.name])
        if p.name not in overrides and not p.required and name not in needed:
            continue
        if name is None:
            return None
        kwargs[name] = framework_value(spec, framework, p.name, value)
    return kwargs


# -- evaluation: values and input gradients in the framework itself --------------------------
@dataclass(frozen=True)
class Evaluation:
    """f(x) and the gradient of sum(w · f(x)) with respect to x, as float64 arrays."""

    value: np.ndarray
    grad: np.ndarray


def output_weights(shape: tuple[int, ...]) -> np.ndarray:
    """The weights w of sum(w · f(x)), whose gradient is compared: fixed, all different."""
    return np.random.default_rng(1).uniform(0.5, 1.5, size=shape)


def evaluate(framework: str, spelling: str, x: np.ndarray, dtype: str,
             kwargs: Mapping[str, Any]) -> Evaluation:
    """Run the framework's own function on `x` (computed in `dtype`: "float32" or
    "float64") and differentiate sum(w · f(x)) (`output_weights`) with its own autodiff."""
    ref = import_reference(spelling)
    if framework in ("jax", "flax"):
        return _evaluate_jax(ref, x, dtype, kwargs)
    if framework in ("keras2", "tf"):
        return _evaluate_tf(ref, x, dtype, kwargs)
    return _evaluate_torch(framework, ref, x, dtype, kwargs)


def _as_array(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu()
    return np.asarray(t, dtype=np.float64)


def _evaluate_torch(framework: str, ref: Any, x: np.ndarray, dtype: str,
                    kwargs: Mapping[str, Any]) -> Evaluation:
    tdtype = getattr(torch, dtype)
    xt = torch.tensor(x, dtype=tdtype, requires_grad=True)
    kwargs = {k: (torch.tensor([v], dtype=tdtype) if k == "weight" else v)
              for k, v in kwargs.items()}  # F.prelu's weight is a tensor of x's dtype
    if is_class(ref):
        if framework == "keras":
            layer = ref(**kwargs, dtype=dtype)  # a Keras layer computes in its own dtype
        else:
            layer = ref(**kwargs)
            if isinstance(layer, torch.nn.Module):
                layer = layer.to(tdtype).eval()  # RReLU's reference: evaluation mode
        y = layer(xt)
    else:
        y = ref(xt, **kwargs)
    w = torch.tensor(output_weights(tuple(y.shape)), dtype=y.dtype)
    if y.requires_grad:
        (g,) = torch.autograd.grad((y * w).sum(), xt, allow_unused=True)
    else:
        g = None
    grad = np.zeros_like(x) if g is None else _as_array(g)
    return Evaluation(_as_array(y), grad)


def _evaluate_jax(ref: Any, x: np.ndarray, dtype: str, kwargs: Mapping[str, Any]
                  ) -> Evaluation:
    import jax
    import jax.numpy as jnp

    with jax.enable_x64(dtype == "float64"):
        xj = jnp.asarray(x, dtype=dtype)
        if inspect.isclass(ref):
            fn = _flax_module(ref, kwargs, xj)
        else:
            def fn(t):
                return ref(t, **kwargs)
        y, vjp = jax.vjp(fn, xj)
        (g,) = vjp(jnp.asarray(output_weights(tuple(y.shape)), dtype=y.dtype))
        return Evaluation(_as_array(y), _as_array(g))


def _flax_module(cls: type, kwargs: Mapping[str, Any], x: Any) -> Callable:
    """A flax module as a function of its input: linen's initialised and applied, nnx's
    constructed (its parameters in its own param_dtype, float32 by default)."""
    import jax

    module = cls(**kwargs)
    if hasattr(module, "init") and hasattr(module, "apply"):  # flax.linen
        variables = module.init(jax.random.key(0), x)
        return lambda t: module.apply(variables, t)
    return module


def _evaluate_tf(ref: Any, x: np.ndarray, dtype: str, kwargs: Mapping[str, Any]
                 ) -> Evaluation:
    import tensorflow as tf

    xt = tf.constant(x, dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        if inspect.isclass(ref):
            # A Keras 2 layer computes in its dtype (float32 unless told): float64 inputs
            # are compared with a float64 layer, as a float64 model would build it.
            y = ref(**kwargs, dtype=dtype)(xt)
        else:
            y = ref(xt, **kwargs)
    weights = tf.constant(output_weights(tuple(y.shape)), dtype=y.dtype)
    g = tape.gradient(y, xt, output_gradients=weights)
    grad = np.zeros_like(x) if g is None else np.asarray(g, dtype=np.float64)
    return Evaluation(np.asarray(y, dtype=np.float64), grad)
