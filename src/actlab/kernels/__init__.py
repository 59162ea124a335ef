"""Implementations of catalog activations: native ops, fused kernels, lean Functions.

`apply` picks one per call (see `dispatch`); `force_implementation` overrides the
choice; `prefer("memory")` (or ``ACTLAB_KERNELS=memory``) trades speed for 1-byte masks
where the two disagree; the compile policy (`set_compile_mode`, ``ACTLAB_COMPILE``:
``auto`` by default, ``on``, ``off``) decides where torch.compile pays.
"""

from actlab.kernels.analytic import ElementwiseFunction, VectorFunction, apply_analytic
from actlab.kernels.compile_policy import (
    compile_enabled,
    compile_mode,
    enable_compile,
    set_compile_mode,
)
from actlab.kernels.dispatch import (
    IMPLEMENTATIONS,
    apply,
    choose,
    force_implementation,
    prefer,
    preference,
    set_preference,
    supports_inplace,
)
from actlab.kernels.fused import FusedFunction, FusedKernel
from actlab.kernels.kernel_table import fused_kernel

__all__ = ["IMPLEMENTATIONS", "ElementwiseFunction", "FusedFunction", "FusedKernel",
           "VectorFunction", "apply", "apply_analytic", "choose", "compile_enabled",
           "compile_mode", "enable_compile", "force_implementation", "fused_kernel",
           "prefer", "preference", "set_compile_mode", "set_preference",
           "supports_inplace"]
