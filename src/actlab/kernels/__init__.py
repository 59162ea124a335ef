"""Implementations of catalog activations: native ops, fused kernels, lean Functions.

`apply` picks one per call (see `dispatch`); `force_implementation` overrides the
choice; `prefer("memory")` (or ``ACTLAB_KERNELS=memory``) trades speed for 1-byte masks
where the two disagree; `enable_compile` (or ``ACTLAB_COMPILE=1``) lets it use
torch.compile.
"""

from actlab.kernels.analytic import ElementwiseFunction, VectorFunction, apply_analytic
from actlab.kernels.compiled import compile_enabled, enable_compile
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
           "enable_compile", "force_implementation", "fused_kernel", "prefer", "preference",
           "set_preference", "supports_inplace"]
