"""The catalog: every activation function, defined once, with its flavors."""

from actlab.catalog.registry import (
    Registry,
    Resolved,
    default_flavor,
    names,
    register,
    registry,
    resolve,
    spec,
)
from actlab.catalog.spec import (
    FLAVORS,
    INF,
    REQUIRED,
    ActivationSpec,
    Flavor,
    Param,
    Properties,
    flavor,
)

__all__ = [
    "FLAVORS", "INF", "REQUIRED", "ActivationSpec", "Flavor", "Param", "Properties",
    "Registry", "Resolved", "default_flavor", "flavor", "names", "register", "registry",
    "resolve", "spec",
]
