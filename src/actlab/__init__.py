"""actlab: an activation-function laboratory for PyTorch."""

from actlab import functional
from actlab.catalog import (
    ActivationSpec,
    Param,
    Properties,
    flavor,
    names,
    register,
    resolve,
    spec,
)
from actlab.errors import (
    ActlabError,
    ExpressionError,
    FrameworkBugWarning,
    ParameterError,
    UnknownActivationError,
    UnknownNameError,
)
from actlab.layers import Activation, get

__version__ = "0.1.0"


def expression(formula: str, **params: float) -> ActivationSpec:
    """A full spec (forward, derivatives, LaTeX) from a formula in x, e.g. ``"x*sigmoid(x)"``."""
    from actlab.catalog.expression import expression_spec

    return expression_spec(formula, **params)


__all__ = [
    "Activation", "ActivationSpec", "ActlabError", "ExpressionError", "FrameworkBugWarning",
    "Param", "ParameterError", "Properties", "UnknownActivationError", "UnknownNameError",
    "expression", "flavor", "functional", "get", "names", "register", "resolve", "spec",
]
