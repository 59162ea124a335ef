"""Pick the implementation of an activation for one call, and run it.

Implementations:

- ``native``: PyTorch's own op.
- ``fused``: a kernel from `piecewise.py` or `smooth.py`: a 1-byte mask or the output
  saved for backward, cheaper formulas, cache-blocked on large CPU tensors.
- ``compiled``: the fused kernel (or the spec's formulas: elementwise, or along a
  dimension for the GLU family and sparsemax) compiled by torch.compile.
- ``analytic``: the generic lean Function: the spec's formula, its analytic derivative,
  the input saved (cache-blocked on large CPU tensors).
- ``reference``: the spec's formula with autograd through every intermediate: what an
  activation zoo does, kept as the baseline.

``auto`` chooses per call, from the tensor: a compiled kernel where the compile policy
(`compile_policy.py`: by default compiling once it has paid, and keeping it where it
measured faster; ``ACTLAB_COMPILE=on`` at once, ``off`` never) has settled on it for a
large tensor; a fused kernel where it
beats the native op (less memory for backward when a gradient is needed and the tensor
has at least `LEAN_MIN_ELEMENTS` elements, or time on large tensors of a device where the
benchmarks showed it faster) or where there is no native op; else the native op; else
the analytic Function. `force_implementation`
overrides the choice for tests and benchmarks.

Speed or memory: the 1-byte piece masks of piecewise-linear functions (relu, leaky_relu,
hardtanh...) cost an extra pass, and on CPU they train 1.2-2.5x slower than PyTorch's
native ops (benchmarks/results). By default (`preference` "speed") auto therefore keeps
the native op for them; `prefer("memory")`, `set_preference("memory")` or
``ACTLAB_KERNELS=memory`` makes auto train with the masks (1 byte per element saved
for backward instead of 4).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import torch

from actlab.catalog.spec import ActivationSpec
from actlab.errors import ActlabError, ParameterError
from actlab.kernels.analytic import apply_analytic
from actlab.kernels.compile_policy import POLICY, compile_mode, eligible
from actlab.kernels.compiled import apply_compiled, compile_problem
from actlab.kernels.fused import EAGER, FusedKernel, apply_fused
from actlab.kernels.kernel_table import plan_for
from actlab.kernels.vector import VectorKernel

IMPLEMENTATIONS = ("auto", "native", "fused", "compiled", "analytic", "reference")

#: From this size on, `auto` trains with lean kernels (a mask or the output saved) where
#: the native op keeps more. Below it the memory is negligible and a custom autograd
#: Function's Python overhead (tens of µs a call) would dominate.
LEAN_MIN_ELEMENTS = 1 << 15

_state = threading.local()

#: What auto optimises for where the two disagree (see the module's docstring).
PREFERENCES = ("speed", "memory")
PREFERENCE_ENV_VAR = "ACTLAB_KERNELS"
_default_preference: str | None = None


def _check_preference(name: str) -> str:
    if name not in PREFERENCES:
        raise ActlabError(f"unknown kernel preference {name!r}; choose one of "
                          f"{', '.join(PREFERENCES)}")
    return name


def preference() -> str:
    """"speed" or "memory": the innermost `prefer` block, else `set_preference`, else
    ``$ACTLAB_KERNELS``, else "speed"."""
    local = getattr(_state, "preference", None)
    if local is not None:
        return local
    if _default_preference is not None:
        return _default_preference
    env = os.environ.get(PREFERENCE_ENV_VAR, "").strip().lower()
    if not env:
        return "speed"
    if env not in PREFERENCES:
        raise ActlabError(f"${PREFERENCE_ENV_VAR}={env!r} is not a kernel preference; "
                          f"choose one of {', '.join(PREFERENCES)}")
    return env


def set_preference(name: str | None) -> None:
    """Make `name` the process-wide preference (None: back to the environment's)."""
    global _default_preference
    _default_preference = None if name is None else _check_preference(name)


@contextlib.contextmanager
def prefer(name: str) -> Iterator[None]:
    """Within the block (this thread), auto optimises for `name`: "speed" or "memory"."""
    _check_preference(name)
    previous = getattr(_state, "preference", None)
    _state.preference = name
    try:
        yield
    finally:
        _state.preference = previous


def current_implementation() -> str:
    return getattr(_state, "forced", "auto")


@contextlib.contextmanager
def force_implementation(name: str) -> Iterator[None]:
    """Within the block, every activation uses implementation `name`."""
    _check_name(name)
    previous = current_implementation()
    _state.forced = name
    try:
        yield
    finally:
        _state.forced = previous


def _check_name(name: str) -> None:
    if name not in IMPLEMENTATIONS:
        raise ActlabError(f"unknown implementation {name!r}; choose one of "
                          f"{', '.join(IMPLEMENTATIONS)}")


def _needs_grad(x: torch.Tensor, params: Mapping[str, Any]) -> bool:
    if not torch.is_grad_enabled():
        return False
    return x.requires_grad or any(isinstance(v, torch.Tensor) and v.requires_grad
                                  for v in params.values())


def _compiled_kernel(spec: ActivationSpec, params: Mapping[str, Any]
                     ) -> FusedKernel | VectorKernel | None:
    return plan_for(spec, params).compilable


def _auto(spec: ActivationSpec, params: Mapping[str, Any], x: torch.Tensor | None,
          inplace: bool) -> str:
    plan = plan_for(spec, params)
    if x is None:
        # No tensor to judge by: the choice for a small input that needs no gradient.
        return "native" if plan.has_native else "analytic"
    kernel = plan.kernel
    if inplace:
        if plan.native_inplace and not _needs_grad(x, params):
            return "native"  # one pass; nothing to save
        # In place while training is a request for memory: the lean kernel (a mask or the
        # output saved) wherever there is one; PyTorch's in-place ops refuse some
        # parameters in backward (leaky_relu_ with a negative slope).
        if kernel is not None and kernel.inplace:
            return "fused"
        return "native" if plan.native_inplace else "fused"  # "fused" without a kernel: refused
    eager = _eager_auto(spec, params, x)
    mode = compile_mode()
    if mode != "off":
        compiled = policy_kernel(spec, params, x, eager)
        if compiled is not None and (mode == "on" or POLICY.settled_compiled(compiled, x)):
            return "compiled"
    return eager


def _eager_auto(spec: ActivationSpec, params: Mapping[str, Any], x: torch.Tensor) -> str:
    """auto's choice among the implementations that need no compiler."""
    plan = plan_for(spec, params)
    kernel = plan.kernel
    if kernel is not None:
        lean_pays = kernel.saves != "mask" or preference() == "memory"
        if (kernel.preferred_for_training and lean_pays and x.numel() >= LEAN_MIN_ELEMENTS
                and _needs_grad(x, params)):
            return "fused"
        if not plan.has_native or kernel.faster_for(x):
            return "fused"
    if plan.has_native:
        return "native"
    return "analytic" if plan.has_derivative else "reference"


def choose(spec: ActivationSpec, params: Mapping[str, Any], requested: str = "auto",
           x: torch.Tensor | None = None, *, inplace: bool = False) -> str:
    """The implementation that `apply` will use for `x` (or, without `x`, for a small
    input that needs no gradient)."""
    _check_name(requested)
    forced = current_implementation()
    mode = forced if forced != "auto" else requested
    if mode == "auto":
        return _auto(spec, params, x, inplace)
    if mode == "native" and not plan_for(spec, params).has_native:
        raise ActlabError(f"{spec.name} has no native PyTorch op for these parameters")
    if mode == "fused" and plan_for(spec, params).kernel is None:
        raise ActlabError(f"{spec.name} has no fused kernel for these parameters; use "
                          f"'analytic' or 'auto'")
    if mode == "compiled":
        if _compiled_kernel(spec, params) is None:
            raise ActlabError(f"{spec.name} cannot be compiled: only activations with scalar "
                              f"parameters, an analytic derivative (or vjp) and no native "
                              f"vector op can")
        problem = compile_problem(x.device if x is not None else "cpu")
        if problem is not None:
            raise ActlabError(f"cannot compile {spec.name}: {problem}")
    if mode == "analytic" and spec.derivative is None and spec.vjp is None:
        return "reference"
    return mode


def supports_inplace(spec: ActivationSpec, params: Mapping[str, Any]) -> bool:
    """Whether some implementation can overwrite the input (its backward needs no x)."""
    plan = plan_for(spec, params)
    return (plan.kernel is not None and plan.kernel.inplace) or plan.native_inplace


def apply(spec: ActivationSpec, x: torch.Tensor, params: Mapping[str, Any], *,
          training: bool = False, inplace: bool = False,
          implementation: str = "auto") -> torch.Tensor:
    """Evaluate `spec` on `x` with bound `params` (from `spec.bind`)."""
    if training and spec.train_forward is not None:
        return spec.train_forward(x, **spec.math_values(params))
    mode = choose(spec, params, implementation, x, inplace=inplace)
    if inplace:
        return _apply_inplace(spec, x, params, mode)
    if (mode != "compiled" and implementation == "auto" and current_implementation() == "auto"
            and compile_mode() == "auto"):
        kernel = policy_kernel(spec, params, x, mode)
        if kernel is not None:
            # Undecided, or settled on eager: the policy times the eager call.
            return POLICY.run(kernel, x, lambda: _run(spec, x, params, mode))
    return _run(spec, x, params, mode)


def policy_kernel(spec: ActivationSpec, params: Mapping[str, Any], x: torch.Tensor,
                  eager_mode: str) -> FusedKernel | VectorKernel | None:
    """The kernel the compile policy may compile in place of `eager_mode` for `x`, or None.

    Not where auto runs a native piecewise-linear op: those already run at copy bandwidth
    (benchmarks/), and a compiled mask kernel cannot pay. Their mask kernels (chosen under
    ``prefer("memory")``, or where there is no native op) may compile.
    """
    kernel = plan_for(spec, params).compilable
    if eager_mode == "native" and kernel is not None and kernel.saves == "mask":
        return None
    return kernel if eligible(kernel, x) else None


def _run(spec: ActivationSpec, x: torch.Tensor, params: Mapping[str, Any], mode: str
         ) -> torch.Tensor:
    values = spec.math_values(params)
    if mode == "native":
        return spec.native(x, **values)
    if mode == "fused":
        return apply_fused(plan_for(spec, params).kernel, x)
    if mode == "compiled":
        return apply_compiled(plan_for(spec, params).compilable, x)
    if mode == "analytic":
        return apply_analytic(spec, x, params)
    return spec.forward(x, **values)


def _apply_inplace(spec: ActivationSpec, x: torch.Tensor, params: Mapping[str, Any],
                   mode: str) -> torch.Tensor:
    values = spec.math_values(params)
    if mode == "native" and spec.native_inplace:
        return spec.native(x, inplace=True, **values)
    kernel = plan_for(spec, params).kernel
    if mode in ("fused", "compiled") and kernel is not None and kernel.inplace:
        return apply_fused(kernel, x, inplace=True, runner=EAGER)
    raise ParameterError(f"{spec.name}: inplace=True is not supported with the {mode!r} "
                         f"implementation for these parameters (its backward needs the "
                         f"input); use inplace=False")
