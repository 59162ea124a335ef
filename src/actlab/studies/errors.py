"""Errors a study can raise for bad user input: a bad spec, a bad study folder."""

from __future__ import annotations

from actlab.errors import ActlabError


class StudySpecError(ActlabError, ValueError):
    """A study spec with an unknown, missing or badly typed key; the message names the key."""


class StudyStoreError(ActlabError):
    """A study folder or results store that cannot be used (another study's, locked, corrupt)."""


class StudyFailedError(ActlabError):
    """A study in which no trial finished: every one failed (the report would be empty)."""


class ExecutorUnavailableError(ActlabError):
    """An executor that cannot start: Ray not installed, a cluster that cannot be reached."""
