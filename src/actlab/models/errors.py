"""Errors about models: unknown names, inputs a model cannot take, bad options."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from actlab.errors import ActlabError, ParameterError


class UnknownModelError(ActlabError, KeyError):
    """A model name that the model registry does not know."""

    def __init__(self, name: str, known: Iterable[str] = ()):
        self.name = name
        known = list(known)
        self.suggestions = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        message = f"unknown model {name!r}"
        if self.suggestions:
            message += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        else:
            message += "; known models are " + ", ".join(repr(s) for s in known)
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return self.args[0]


class ModelInputError(ActlabError, ValueError):
    """Inputs (or a number of classes) that a model's architecture cannot take."""


class ModelOptionError(ParameterError):
    """A model option that is unknown or has a value the model cannot use."""
