"""Errors about models: unknown names, inputs a model cannot take, bad options."""

from __future__ import annotations

from actlab.errors import ActlabError, ParameterError, UnknownNameError


class UnknownModelError(UnknownNameError):
    """A model name that the model registry does not know."""

    what = "model"


class ModelInputError(ActlabError, ValueError):
    """Inputs (or a number of classes) that a model's architecture cannot take."""


class ModelOptionError(ParameterError):
    """A model option that is unknown or has a value the model cannot use."""
