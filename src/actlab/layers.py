"""Activations as `torch.nn.Module`s, built from catalog specs.

`get("leaky_relu")` prints as
``LeakyReLU(flavor='torch', negative_slope=0.01, implementation='native')``, the way
PyTorch's own modules show their parameters, with the implementation chosen when the
module was built (`actlab.kernels.choice`): forward calls it directly. Learnable parameters are
`nn.Parameter`s: per channel (PyTorch's PReLU: one value per channel of dim 1) or per
element (Keras's PReLU: the shape of one sample, with `shared_axes` set to 1).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch import nn

from actlab.catalog.registry import Resolved, resolve
from actlab.catalog.spec import ActivationSpec
from actlab.errors import ParameterError
from actlab.kernels.choice import Implementation, choose, supports_inplace

Tensor = torch.Tensor

_CLASSES: dict[tuple[str, str, str, str], type] = {}

#: Attributes that hold the chosen code (rebuilt, not pickled).
_CHOSEN = ("implementation", "_run", "_train_run")


class Activation(nn.Module):
    """A catalog activation with bound parameters (the base of every generated class)."""

    spec: ActivationSpec

    def __init__(self, activation: str | ActivationSpec | Resolved, *, inplace: bool = False,
                 trainable: bool | Iterable[str] | None = None,
                 implementation: str = "auto", **params: Any) -> None:
        super().__init__()
        resolved = resolve(activation)
        bound = resolved.bind(params)
        spec = resolved.spec
        self.spec = spec
        self.flavor = resolved.flavor
        self.inplace = inplace
        self._explicit = {k for k in params} | set(resolved.params)
        self._trainable = _trainable_names(spec, trainable)
        # A learned parameter's gradient needs the input, so it rules out in-place too.
        if inplace and (self._trainable or not supports_inplace(spec, bound)):
            raise ParameterError(f"{spec.name}: inplace=True is not supported (its backward "
                                 f"needs the input)")
        self.params: dict[str, Any] = {}
        for p in spec.params:
            value = bound[p.name]
            if p.name in self._trainable:
                self._make_parameter(p.name, value, bound)
            self.params[p.name] = value
        self._choose(implementation, None)

    def _choose(self, requested: str, pref: str | None) -> None:
        """Fix the implementation (and the forward that calls it) once, for good."""
        spec = self.spec
        # Learnable parameters are tensors when called: choose for tensors.
        bound = {k: (torch.zeros(()) if k in self._trainable else v)
                 for k, v in self.params.items()}
        self.implementation: Implementation = choose(spec, bound, requested,
                                                     inplace=self.inplace, pref=pref)
        self._run = self.implementation.run
        self._train_run = None
        if spec.train_forward is not None:
            self._train_run = functools.partial(spec.train_forward, **spec.math_values(bound))

    # -- learnable parameters -------------------------------------------------------------
    def _layout(self, bound: Mapping[str, Any]) -> str:
        return bound.get("layout", "channel")

    def _make_parameter(self, name: str, init: Any, bound: Mapping[str, Any]) -> None:
        if isinstance(init, Tensor):
            self.register_parameter(name, nn.Parameter(init.detach().clone()))
            return
        if self._layout(bound) == "element":
            # Keras builds the weight on the first call, with the shape of one sample.
            self.register_parameter(name, nn.parameter.UninitializedParameter())
            return
        count = int(bound.get("num_parameters", 1))
        self.register_parameter(name, nn.Parameter(torch.full((count,), float(init))))

    def _materialise(self, x: Tensor) -> None:
        for name in self._trainable:
            param = getattr(self, name)
            if isinstance(param, nn.parameter.UninitializedParameter):
                shape = list(x.shape[1:])
                for axis in self.params.get("shared_axes") or ():
                    if not 1 <= axis <= len(shape):
                        raise ParameterError(f"{self.spec.name}: shared axis {axis} is out of "
                                             f"range for inputs of shape {tuple(x.shape)}")
                    shape[axis - 1] = 1
                param.materialize(shape, device=x.device, dtype=x.dtype)
                with torch.no_grad():
                    param.fill_(float(self.params[name]))

    def _broadcast(self, name: str, x: Tensor) -> Tensor:
        param = getattr(self, name)
        if self._layout(self.params) == "element":
            return param
        count = param.numel()
        if count == 1:
            return param.reshape(())
        if x.dim() < 2 or x.shape[1] != count:
            raise ParameterError(f"{self.spec.name}: {count} parameters need inputs with "
                                 f"{count} channels in dim 1, got shape {tuple(x.shape)}")
        return param.reshape(count, *([1] * (x.dim() - 2)))

    # -- evaluation -------------------------------------------------------------------------
    def forward(self, x: Tensor) -> Tensor:
        if self._trainable:
            self._materialise(x)
            return self._run(x, **{name: self._broadcast(name, x) for name in self._trainable})
        if self._train_run is not None and self.training:
            return self._train_run(x)
        return self._run(x)

    def __reduce_ex__(self, protocol: int):
        # Generated classes are not importable by name, and the chosen code holds
        # lambdas: rebuild both from the spec (the same implementation is chosen again).
        state = {k: v for k, v in self.__dict__.items() if k not in _CHOSEN}
        state["_chosen_kind"] = self.implementation.kind
        return _restore_activation, (self.spec,), state

    def __setstate__(self, state: dict[str, Any]) -> None:
        kind = state.pop("_chosen_kind", "auto")
        super().__setstate__(state)
        self._choose(kind, None)

    def extra_repr(self) -> str:
        parts = []
        if self.spec.origin == "expression":
            parts.append(f"formula={self.spec.source.split(';')[0]!r}")
        if self.flavor:
            parts.append(f"flavor={self.flavor!r}")
        for p in self.spec.params:
            if p.name in self._trainable:
                continue
            value = self.params[p.name]
            if p.role == "layout" and p.name not in self._explicit and value == p.default:
                continue
            parts.append(f"{p.name}={_show(value)}")
        for name in self._trainable:
            param = getattr(self, name)
            if isinstance(param, nn.parameter.UninitializedParameter):
                parts.append(f"{name}=learnable(init={_show(self.params[name])}, lazy)")
            else:
                parts.append(f"{name}=learnable({tuple(param.shape)})")
        if self.inplace:
            parts.append("inplace=True")
        parts.append(f"implementation={self.implementation.label!r}")
        return ", ".join(parts)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, Tensor):
        return f"tensor{tuple(value.shape)}"
    return repr(value)


def _trainable_names(spec: ActivationSpec,
                     trainable: bool | Iterable[str] | None) -> tuple[str, ...]:
    learnable = [p.name for p in spec.learnable_params]
    if trainable is None:
        return tuple(p.name for p in spec.learnable_params if p.trainable)
    if trainable is True:
        return tuple(learnable)
    if trainable is False:
        return ()
    names = tuple(trainable)
    bad = [n for n in names if n not in learnable]
    if bad:
        raise ParameterError(f"{spec.name}: {', '.join(bad)} cannot be learned; learnable: "
                             f"{', '.join(learnable) or 'none'}")
    return names


def module_class(spec: ActivationSpec) -> type[Activation]:
    """The Activation subclass named after the spec (`LeakyReLU`, `Mish`, ...)."""
    key = (spec.name, spec.display_class, spec.origin, spec.source)
    cls = _CLASSES.get(key)
    if cls is None or cls.spec_identity is not spec:  # type: ignore[attr-defined]
        cls = type(spec.display_class, (Activation,), {
            "__doc__": f"{spec.summary}\n\n    {spec.latex}",
            "__module__": __name__,
            "spec_identity": spec,
        })
        _CLASSES[key] = cls
    return cls


def _restore_activation(spec: ActivationSpec) -> Activation:
    return object.__new__(module_class(spec))


class Lambda(nn.Module):
    """A plain callable wrapped as a module (what `get` does with a function)."""

    def __init__(self, fn: Callable[[Tensor], Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return getattr(self.fn, "__name__", repr(self.fn))


def get(activation: Any, **params: Any) -> nn.Module:
    """A module for an activation name, spelling, flavored name, formula or spec.

    Modules and module classes pass through (classes are instantiated with `params`);
    a plain callable is wrapped.
    """
    if isinstance(activation, nn.Module):
        if params:
            raise ParameterError("parameters cannot be applied to an existing module")
        return activation
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        return activation(**params)
    if isinstance(activation, (str, ActivationSpec, Resolved)):
        resolved = resolve(activation)
        return module_class(resolved.spec)(resolved, **params)
    if callable(activation):
        if params:
            raise ParameterError("parameters cannot be applied to a plain callable")
        return Lambda(activation)
    raise ParameterError(f"cannot make an activation from {activation!r}")
