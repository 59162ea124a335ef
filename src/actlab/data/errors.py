"""Errors about datasets: unknown names, missing, corrupt or unverifiable files.

Every message is one sentence: which file (or dataset), what is wrong, what to do.
"""

from __future__ import annotations

from pathlib import Path

from actlab.errors import ActlabError, UnknownNameError


class DataError(ActlabError):
    """Base class of every dataset error."""


class UnknownDatasetError(DataError, UnknownNameError):
    """A dataset name that the registry does not know."""

    what = "dataset"


class DatasetUnavailableError(DataError):
    """A dataset file that is not on disk and could not (or may not) be downloaded."""


class CorruptDataError(DataError, ValueError):
    """A data file whose content is not what its format promises."""

    def __init__(self, path: str | Path, problem: str,
                 remedy: str = "delete it so that a fresh copy is downloaded"):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path} {problem}; {remedy}")


class ChecksumError(CorruptDataError):
    """A file (on disk or downloaded) whose MD5 differs from the published checksum."""

    def __init__(self, source: str | Path, actual_md5: str, expected_md5: str,
                 remedy: str = "delete it so that a fresh copy is downloaded"):
        self.actual_md5 = actual_md5
        self.expected_md5 = expected_md5
        super().__init__(source, f"has MD5 {actual_md5}, but the published checksum is "
                                 f"{expected_md5}", remedy)


class UnsafePickleError(CorruptDataError):
    """A pickle that asks for an object outside the few a dataset file may contain."""
