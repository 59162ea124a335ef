"""Implementations of catalog activations: native ops, fused kernels, lean Functions.

`choose` picks one implementation per spec and parameters, once (see `choice`); modules
and `actlab.functional` keep it and call it directly. `prefer("memory")` (or
``ACTLAB_KERNELS=memory``) makes later choices trade speed for 1-byte masks;
`force_implementation` imposes one (tests, benchmarks).
"""

from actlab.kernels.analytic import ElementwiseFunction, VectorFunction, apply_analytic
from actlab.kernels.choice import (
    IMPLEMENTATIONS,
    Implementation,
    apply,
    choose,
    force_implementation,
    implementation_for,
    prefer,
    preference,
    set_preference,
    supports_inplace,
)
from actlab.kernels.fused import FusedFunction, FusedKernel
from actlab.kernels.kernel_table import fused_kernel

__all__ = ["IMPLEMENTATIONS", "ElementwiseFunction", "FusedFunction", "FusedKernel",
           "Implementation", "VectorFunction", "apply", "apply_analytic", "choose",
           "force_implementation", "fused_kernel", "implementation_for", "prefer",
           "preference", "set_preference", "supports_inplace"]
