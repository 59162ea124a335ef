"""Choose, once, the code that computes an activation; the choice is then called directly.

An `Implementation` is one concrete callable for one spec with bound parameters, chosen
when a module is built (or the first time `actlab.functional` sees a call signature) and
never re-examined per call: no name parsing, environment reads or plan lookups on the
call path. Kinds:

- ``native``: PyTorch's own op;
- ``fused``: a lean kernel (`piecewise.py`, `smooth.py`): the backward reads a 1-byte
  mask of pieces, the output, or the input, never a chain of intermediates;
- ``analytic``: the spec's formula in a lean autograd Function with the analytic
  derivative (saves the input);
- ``reference``: the spec's formula with autograd through every op (no derivative).

To compile, compile the model: ``torch.compile(model)`` traces every implementation
without a graph break.

``auto`` picks by one rule, from the spec, its parameters and the preference alone (never
the tensor, the time or the call count, so a run gives the same bits every time):

- preference ``speed`` (the default): the native op wherever PyTorch has one for these
  parameters; else the fused kernel; else the analytic Function; else the reference;
- preference ``memory``: the fused kernel wherever one keeps less than the native op
  (a 1-byte mask for piecewise-linear functions, the output for the ELU family,
  log-sigmoid, softsign), else as ``speed``.

Nothing in the rule depends on the device or dtype: the same implementation serves
every tensor (fused kernels compute half precision in float32, as PyTorch's kernels do).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from actlab.catalog.spec import ActivationSpec
from actlab.errors import ActlabError, ParameterError
from actlab.kernels.analytic import analytic_function, apply_analytic
from actlab.kernels.fused import FusedKernel, apply_fused
from actlab.kernels.kernel_table import fused_kernel

Tensor = torch.Tensor

IMPLEMENTATIONS = ("auto", "native", "fused", "analytic", "reference")

#: What auto optimises for where the two disagree (see the module's docstring).
PREFERENCES = ("speed", "memory")
PREFERENCE_ENV_VAR = "ACTLAB_KERNELS"

_state = threading.local()
_process_preference: str | None = None


def _check_preference(name: str) -> str:
    if name not in PREFERENCES:
        raise ActlabError(f"unknown kernel preference {name!r}; choose one of "
                          f"{', '.join(PREFERENCES)}")
    return name


def _environment_preference() -> str:
    env = os.environ.get(PREFERENCE_ENV_VAR, "").strip().lower()
    if not env:
        return "speed"
    if env not in PREFERENCES:
        raise ActlabError(f"${PREFERENCE_ENV_VAR}={env!r} is not a kernel preference; "
                          f"choose one of {', '.join(PREFERENCES)}")
    return env


def preference() -> str:
    """"speed" or "memory": the innermost `prefer` block, else `set_preference`, else
    ``$ACTLAB_KERNELS`` (read once, at the first choice), else "speed"."""
    global _process_preference
    local = getattr(_state, "preference", None)
    if local is not None:
        return local
    if _process_preference is None:
        _process_preference = _environment_preference()
    return _process_preference


def set_preference(name: str | None) -> None:
    """Make `name` the process-wide preference (None: read ``$ACTLAB_KERNELS`` again).

    Like every choice, it applies to modules built (and functional signatures first
    seen) afterwards; modules already built keep what they chose."""
    global _process_preference
    _process_preference = _environment_preference() if name is None else _check_preference(name)


@contextlib.contextmanager
def prefer(name: str) -> Iterator[None]:
    """Within the block (this thread), auto chooses for `name`: "speed" or "memory"."""
    _check_preference(name)
    previous = getattr(_state, "preference", None)
    _state.preference = name
    try:
        yield
    finally:
        _state.preference = previous


def forced_implementation() -> str:
    """The implementation `force_implementation` imposes in this thread ("auto": none)."""
    return getattr(_state, "forced", "auto")


@contextlib.contextmanager
def force_implementation(name: str) -> Iterator[None]:
    """Within the block, every choice made (modules built, `apply` calls) is `name`."""
    _check_name(name)
    previous = forced_implementation()
    _state.forced = name
    try:
        yield
    finally:
        _state.forced = previous


def _check_name(name: str) -> None:
    if name not in IMPLEMENTATIONS:
        raise ActlabError(f"unknown implementation {name!r}; choose one of "
                          f"{', '.join(IMPLEMENTATIONS)}")


@dataclass(frozen=True, eq=False)
class Implementation:
    """The code chosen for one activation with bound parameters.

    `run(x)` computes f(x) (modules with learnable parameters call `run(x, **tensors)`
    with the broadcast parameter tensors). `kind` is one of `IMPLEMENTATIONS` (not
    "auto"); `saves` what the backward keeps: "mask", "output", "input" or "nothing" for
    actlab's kernels, "native" (whatever PyTorch's op keeps), "intermediates" for the
    reference; `inplace` whether `run` overwrites its input."""

    kind: str
    saves: str
    run: Callable[..., Tensor]
    inplace: bool = False

    def __call__(self, x: Tensor) -> Tensor:
        return self.run(x)

    @property
    def label(self) -> str:
        """Short text for `print(module)` and records: "native", "fused(mask)"..."""
        if self.kind == "fused":
            return f"fused({self.saves})"
        return self.kind


def _learnable_tensors(spec: ActivationSpec, bound: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(p.name for p in spec.math_params if isinstance(bound[p.name], Tensor))


def _native_inplace_trains(values: Mapping[str, Any]) -> bool:
    """PyTorch's in-place backward refuses negative slopes (leaky_relu_, elu_, rrelu_)."""
    return not any(isinstance(v, float) and v < 0 for k, v in values.items()
                   if k in ("negative_slope", "alpha", "lower", "upper"))


def _lean(kernel: FusedKernel | None) -> bool:
    """Whether the kernel keeps less for backward than PyTorch's op would."""
    return kernel is not None and kernel.lean


def choose(spec: ActivationSpec, bound: Mapping[str, Any], requested: str = "auto", *,
           inplace: bool = False, pref: str | None = None) -> Implementation:
    """The implementation `requested` means for `spec` with `bound` parameters.

    "auto" follows the module docstring's rule; forcing one that does not exist for
    these parameters is an `ActlabError` (a `ParameterError` for in place)."""
    _check_name(requested)
    forced = forced_implementation()
    mode = forced if forced != "auto" else requested
    pref = preference() if pref is None else _check_preference(pref)
    values = spec.math_values(bound)
    tensors = _learnable_tensors(spec, bound)
    has_native = spec.uses_native(bound)
    kernel = fused_kernel(spec, bound)
    if inplace:
        return _choose_inplace(spec, values, mode, pref, has_native, kernel)
    if mode == "auto":
        if pref == "memory" and _lean(kernel):
            mode = "fused"
        elif has_native:
            mode = "native"
        elif kernel is not None:
            mode = "fused"
        else:
            mode = "analytic"
    if mode == "native":
        if not has_native:
            raise ActlabError(f"{spec.name} has no native PyTorch op for these parameters")
        return Implementation("native", "native", _bind(spec.native, values, tensors))
    if mode == "fused":
        if kernel is None:
            raise ActlabError(f"{spec.name} has no fused kernel for these parameters; use "
                              f"'analytic' or 'auto'")
        return Implementation("fused", kernel.saves, functools.partial(apply_fused, kernel))
    if mode == "analytic" and (spec.derivative is not None or spec.vjp is not None):
        return Implementation("analytic", "output" if _vjp_uses_output(spec) else "input",
                              _bind_analytic(spec, values, tensors))
    return Implementation("reference", "intermediates", _bind(spec.forward, values, tensors))


def _choose_inplace(spec: ActivationSpec, values: Mapping[str, Any], mode: str, pref: str,
                    has_native: bool, kernel: FusedKernel | None) -> Implementation:
    native_ok = has_native and spec.native_inplace
    lean_ok = kernel is not None and kernel.inplace
    if mode == "auto":
        if native_ok and pref == "speed" and _native_inplace_trains(values):
            mode = "native"
        else:
            mode = "fused" if lean_ok else "native"
    if mode == "native" and native_ok:
        return Implementation("native", "native",
                              functools.partial(spec.native, inplace=True, **values),
                              inplace=True)
    if mode == "fused" and lean_ok:
        return Implementation("fused", kernel.saves_for(True),
                              functools.partial(apply_fused, kernel, inplace=True),
                              inplace=True)
    raise ParameterError(f"{spec.name}: inplace=True is not supported with the {mode!r} "
                         f"implementation for these parameters (its backward needs the "
                         f"input); use inplace=False")


def _vjp_uses_output(spec: ActivationSpec) -> bool:
    return spec.kind != "elementwise" and getattr(spec.vjp, "uses_output", False)


def _bind(fn: Callable[..., Tensor], values: Mapping[str, Any], tensors: tuple[str, ...]
          ) -> Callable[..., Tensor]:
    """fn with its scalar parameters bound (learnable tensors come with each call)."""
    scalars = {k: v for k, v in values.items() if k not in tensors}
    return functools.partial(fn, **scalars) if scalars else fn


def _bind_analytic(spec: ActivationSpec, values: Mapping[str, Any],
                   tensors: tuple[str, ...]) -> Callable[..., Tensor]:
    scalars = {k: v for k, v in values.items() if k not in tensors}
    if not tensors:
        return analytic_function(spec, scalars)

    def run(x: Tensor, **learned: Tensor) -> Tensor:
        return apply_analytic(spec, x, {**scalars, **learned})
    return run


def supports_inplace(spec: ActivationSpec, bound: Mapping[str, Any]) -> bool:
    """Whether some implementation can overwrite the input (its backward needs no x)."""
    kernel = fused_kernel(spec, bound)
    return ((kernel is not None and kernel.inplace)
            or (spec.uses_native(bound) and spec.native_inplace))


_CHOICES: dict[tuple, Implementation] = {}
_MAX_CHOICES = 4096


def implementation_for(spec: ActivationSpec, bound: Mapping[str, Any],
                       requested: str = "auto", *, inplace: bool = False) -> Implementation:
    """`choose`, cached per spec, parameter values, request and preference."""
    if any(isinstance(v, Tensor) for v in bound.values()):
        return choose(spec, bound, requested, inplace=inplace)
    # Specs compare by identity: a re-registered spec gets choices of its own.
    key = (spec, tuple(bound.items()), requested, inplace, forced_implementation(),
           preference())
    try:
        found = _CHOICES.get(key)
    except TypeError:  # an unhashable parameter value: not cached
        return choose(spec, bound, requested, inplace=inplace)
    if found is None:
        if len(_CHOICES) >= _MAX_CHOICES:
            _CHOICES.clear()
        found = _CHOICES[key] = choose(spec, bound, requested, inplace=inplace)
    return found


def apply(spec: ActivationSpec, x: Tensor, bound: Mapping[str, Any], *,
          training: bool = False, inplace: bool = False,
          implementation: str = "auto") -> Tensor:
    """Evaluate `spec` on `x` with bound parameters (from `spec.bind`), choosing as
    `choose` does (cached). Modules and `actlab.functional` keep their choice instead."""
    if training and spec.train_forward is not None:
        return spec.train_forward(x, **spec.math_values(bound))
    impl = implementation_for(spec, bound, implementation, inplace=inplace)
    tensors = _learnable_tensors(spec, bound)
    if tensors:
        return impl.run(x, **{k: bound[k] for k in tensors})
    return impl.run(x)
