"""Errors the theory and simulation tools raise for input they cannot analyse."""

from __future__ import annotations

from actlab.errors import ActlabError


class NotElementwiseError(ActlabError, ValueError):
    """A vector or gated activation (softmax, GLU) where mean-field theory needs φ: ℝ → ℝ."""


class DivergentExpectationError(ActlabError, ArithmeticError):
    """A Gaussian expectation that is infinite, undefined, or beyond float64."""


class QuadratureError(ActlabError, ArithmeticError):
    """A Gaussian expectation whose quadrature does not settle as the mesh is refined."""


class TheoryOptionError(ActlabError, ValueError):
    """A variance, depth, width, probability or other option outside its allowed values."""
