"""Errors a user can cause. Each carries one clear, specific sentence."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ActlabError(Exception):
    """Base class of every error actlab raises for bad user input."""


class UnknownActivationError(ActlabError, KeyError):
    """An activation name (or flavor) that the catalog does not know."""

    def __init__(self, name: str, known: Iterable[str] = (), what: str = "activation"):
        self.name = name
        candidates = list(dict.fromkeys(known))
        self.suggestions = difflib.get_close_matches(name, candidates, n=4, cutoff=0.5)
        message = f"unknown {what} {name!r}"
        if self.suggestions:
            message += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return self.args[0]


class ParameterError(ActlabError, ValueError):
    """A parameter that is unknown, missing, or outside its allowed values."""


class ExpressionError(ActlabError, ValueError):
    """A custom formula that is broken, unsafe or not differentiable."""


class RegistrationError(ActlabError, ValueError):
    """A spec that cannot be registered (duplicate name or alias, bad definition)."""


class ShapeError(ActlabError, ValueError):
    """An input whose shape an activation cannot take (an odd size to split in halves)."""
