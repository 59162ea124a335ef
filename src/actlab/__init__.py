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


def __getattr__(name: str):
    # The model tools import the model registry: loaded on first use, not by `import actlab`.
    if name in ("activation_sites", "swap_activations"):
        from actlab.models import swapping

        return getattr(swapping, name)
    raise AttributeError(f"module 'actlab' has no attribute {name!r}")


__all__ = [
    "Activation", "ActivationSpec", "ActlabError", "ExpressionError", "FrameworkBugWarning",
    "Param", "ParameterError", "Properties", "UnknownActivationError", "UnknownNameError",
    "activation_sites", "expression", "flavor", "functional", "get", "names", "register",
    "resolve", "spec", "swap_activations",
]
