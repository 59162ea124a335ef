"""Errors a user can cause. Each carries one clear, specific sentence."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ActlabError(Exception):
    """Base class of every error actlab raises for bad user input."""


#: Up to this many known names are listed when none is close to an unknown one.
LISTED_NAMES = 12


class UnknownNameError(ActlabError, KeyError):
    """A name (of an activation, model, dataset...) that actlab does not know.

    The message suggests the closest known names ("did you mean ...?") or, when none is
    close and there are few, lists them all."""

    what = "name"

    def __init__(self, name: str, known: Iterable[str] = (), what: str | None = None):
        self.name = name
        if what is not None:
            self.what = what
        candidates = [str(k) for k in dict.fromkeys(known)]
        self.suggestions = difflib.get_close_matches(str(name), candidates, n=4, cutoff=0.5)
        shown = repr(name) if len(repr(name)) <= 100 else repr(name)[:97] + "..."
        message = f"unknown {self.what} {shown}"
        if self.suggestions:
            message += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        elif 0 < len(candidates) <= LISTED_NAMES:
            message += (f"; known {self.what}s are "
                        + ", ".join(repr(s) for s in candidates))
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return self.args[0]


class UnknownActivationError(UnknownNameError):
    """An activation name (or flavor) that the catalog does not know."""

    what = "activation"


class ParameterError(ActlabError, ValueError):
    """A parameter that is unknown, missing, or outside its allowed values."""


class ExpressionError(ActlabError, ValueError):
    """A custom formula that is broken, unsafe or not differentiable."""


class RegistrationError(ActlabError, ValueError):
    """A spec that cannot be registered (duplicate name or alias, bad definition)."""


class ShapeError(ActlabError, ValueError):
    """An input whose shape an activation cannot take (an odd size to split in halves)."""


class FrameworkBugWarning(UserWarning):
    """A framework's spelling was used whose numbers reproduce a known bug of that framework
    (the canonical name gives the correct function)."""
