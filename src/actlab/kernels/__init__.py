"""Implementations of catalog activations: native ops, lean autograd Functions."""

from actlab.kernels.analytic import ElementwiseFunction, VectorFunction, apply_analytic
from actlab.kernels.dispatch import IMPLEMENTATIONS, apply, choose, force_implementation

__all__ = ["IMPLEMENTATIONS", "ElementwiseFunction", "VectorFunction", "apply",
           "apply_analytic", "choose", "force_implementation"]
